import type { Config } from '../config/schema.js';
import { loadStateConfig } from '../config/state.js';
import { createTargets } from '../db/targets.js';
import type { HistoryReader } from '../engine/history.js';
import { lazyStateHistory } from '../state/history-reader.js';
import type { AnyCommand } from '../engine/command.js';
import { primaryFigure } from '../engine/primary.js';
import { runCommand } from '../engine/run.js';
import type { QueryTextMode } from '../redact/query-text.js';
import type { Status } from '../report/model.js';
import { renderJson } from '../report/json.js';
import { contextLine, renderText } from '../report/text.js';
import { prepareDisplayWidth } from '../report/width.js';
import type { CliArgs } from './args.js';
import { renderNagios } from './nagios.js';
import { withThresholdOverrides } from './thresholds.js';

export interface DiagnosticRun {
  args: CliArgs;
  command: AnyCommand;
  target: string | undefined;
  options: Record<string, unknown>;
}

/** `pgmedic <command> [target] [options]`: one diagnostic, printed as text, JSON or a Nagios status line. */
export async function runDiagnostic(
  config: Config,
  run: DiagnosticRun,
  color: boolean,
): Promise<{ output: string; status: Status }> {
  const { args, command, options } = run;
  const figure = primaryFigure(command.name);
  const targets = createTargets(withThresholdOverrides(config, run.target, command.name, figure, args));
  const history = cliHistory();
  try {
    const target = targets.get(run.target);
    const raw = await runCommand({ command, target, options, history: history.reader });
    // Passwords are masked in every mode; the rest of the query text shows in full unless --redact.
    const queryText: QueryTextMode = args.redact ? (raw.report.queryText === 'hidden' ? 'hidden' : 'redacted') : 'full';
    const result = { ...raw, report: { ...raw.report, queryText } };
    if (args.format === 'text') await prepareDisplayWidth(JSON.stringify(result.report));
    const output =
      args.format === 'json'
        ? renderJson(result)
        : args.format === 'nagios'
          ? renderNagios(result, figure, target.thresholds)
          : renderText(result.report, contextLine(result), { color });
    return { output, status: result.status };
  } finally {
    await Promise.all([targets.closeAll(), history.close()]);
  }
}

/**
 * The query history for `--since` and `--regressed`, from PGMEDIC_STATE_DATABASE_URL; its pool opens on the first
 * read only. A broken state setting fails only the commands that read the history, not every diagnostic.
 */
function cliHistory(): { reader: HistoryReader | undefined; close(): Promise<void> } {
  let url: string | undefined;
  try {
    url = loadStateConfig().url;
  } catch (error) {
    const fail = () => Promise.reject(error);
    return { reader: () => ({ baseline: fail, snapshot: fail, texts: fail }), close: async () => undefined };
  }
  return url ? lazyStateHistory(url) : { reader: undefined, close: async () => undefined };
}
