import { loadConfig } from '../config/load.js';
import { createTargets } from '../db/targets.js';
import { parseOptions } from '../engine/options.js';
import { primaryFigure } from '../engine/primary.js';
import { findCommand } from '../engine/registry.js';
import { runCommand } from '../engine/run.js';
import { takeTarget } from '../engine/target-arg.js';
import type { Status } from '../report/model.js';
import { renderJson } from '../report/json.js';
import { contextLine, renderText } from '../report/text.js';
import { prepareDisplayWidth } from '../report/width.js';
import type { CliArgs } from './args.js';
import { renderNagios } from './nagios.js';
import { withThresholdOverrides } from './thresholds.js';

/** `pgmedic <command> [target] [options]`: one diagnostic, printed as text, JSON or a Nagios status line. */
export async function runDiagnostic(args: CliArgs, color: boolean): Promise<{ output: string; status: Status }> {
  const command = findCommand(args.command!);
  const loaded = loadConfig();
  const tokens = [...args.rest];
  const targetName = takeTarget(command, tokens, args.target, loaded.targets.map((t) => t.name));
  const options = parseOptions(command, tokens);
  const figure = primaryFigure(command.name);
  const targets = createTargets(withThresholdOverrides(loaded, targetName, command.name, figure, args));
  try {
    const target = targets.get(targetName);
    const result = await runCommand({ command, target, options });
    if (args.format === 'text') await prepareDisplayWidth(JSON.stringify(result.report));
    const output =
      args.format === 'json' ? renderJson(result) : args.format === 'nagios' ? renderNagios(result, figure, target.thresholds) : renderText(result.report, contextLine(result), { color });
    return { output, status: result.status };
  } finally {
    await targets.closeAll();
  }
}
