import type { z } from 'zod';
import type { Target } from '../db/targets.js';
import type { Report, Status } from '../report/model.js';
import { loadParser } from '../redact/parser.js';
import { DEFAULT_QUERY_TEXT_MODE } from '../redact/query-text.js';
import { containsQueryText } from '../report/query-text.js';
import type { CommandDefinition } from './command.js';
import type { HistoryReader } from './history.js';

/** One run of a command; `Findings` is the command's own findings type (commands/<name>.ts exports it). */
export interface RunResult<Findings = unknown> {
  command: string;
  target: string;
  status: Status;
  summary: string;
  findings: Findings;
  report: Report;
  meta: { serverVersion: string; inRecovery: boolean; elapsedMs: number; ranAt: string };
}

export interface RunRequest<Findings = unknown> {
  command: CommandDefinition<z.ZodObject, Findings>;
  target: Target;
  /** Already validated (engine/options.ts). */
  options: Record<string, unknown>;
  now?: () => Date;
  /** Stored snapshots for `--since` and `--regressed` (the state database), where the surface has one. */
  history?: HistoryReader | undefined;
}

/** pg_class pages (about 40 relations each) from which `alongside` opens a second connection: ~10,000 relations. */
const SPLIT_AT_CATALOG_PAGES = 256;

type CommandListener = (command: string, status: Status | 'error', seconds: number) => void;
const listeners: CommandListener[] = [];

/**
 * Called after every command (ops/metrics counts them). A listener rather than an import, so the CLI, which
 * runs one command and exits, never loads prom-client.
 */
export function onCommandFinished(listener: CommandListener): void {
  listeners.push(listener);
}

const notify: CommandListener = (command, status, seconds) => {
  for (const listener of listeners) listener(command, status, seconds);
};

/** Runs one command against one target in a read-only session, timed. Errors propagate as AppErrors. */
export async function runCommand<Findings>(request: RunRequest<Findings>): Promise<RunResult<Findings>> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await runTimed(request);
    notify(result.command, result.status, seconds());
    return result;
  } catch (error) {
    notify(request.command.name, 'error', seconds());
    throw error;
  }
}

async function runTimed<Findings>(request: RunRequest<Findings>): Promise<RunResult<Findings>> {
  const { command, target, options } = request;
  const now = request.now ?? (() => new Date());
  const started = performance.now();
  const ranAt = now();
  await command.precheck?.(options);
  const caps = await target.capabilities();
  // A second connection pays off on a large catalog only; elsewhere it would cost a backend start per check.
  // Without a free connection the work runs on the command's own session, one statement after the other.
  const split = caps.catalogPages >= SPLIT_AT_CATALOG_PAGES;
  const findings = await target.readOnly(command.name, (session) =>
    command.collect(
      {
        session,
        caps,
        thresholds: target.thresholds,
        inDatabase: (database, work) => target.readOnly(command.name, work, database),
        target: target.name,
        ...(request.history ? { history: request.history(target.name) } : {}),
        alongside: (work) =>
          (split && target.readOnlyIfFree?.(command.name, caps.serverVersionNum, work)) || work(session),
      },
      options,
    ),
  );
  const drafted = command.report(findings, {
    options,
    thresholds: target.thresholds,
    target: target.name,
    serverVersion: caps.serverVersion,
    inRecovery: caps.inRecovery,
    now: ranAt,
  });
  // Query text in the report is shown the way this target's settings say (src/report/query-text.ts).
  const report: Report = { ...drafted, queryText: target.config.queryText ?? DEFAULT_QUERY_TEXT_MODE };
  // Redaction uses PostgreSQL's own parser where the text parses; it loads once, when some query text needs it.
  if (containsQueryText(report, findings)) await loadParser();
  return {
    command: command.name,
    target: target.name,
    status: report.status,
    summary: report.summary,
    findings,
    report,
    meta: {
      serverVersion: caps.serverVersion,
      inRecovery: caps.inRecovery,
      elapsedMs: Math.round(performance.now() - started),
      ranAt: ranAt.toISOString(),
    },
  };
}

/**
 * A run's findings as `command`'s type, or null when the run was of another command or found nothing. Command
 * names are unique in the registry, so the name stands for the definition and its findings type: this is the one
 * place that trusts it, instead of a cast by name wherever findings are read back (digests, trends).
 */
export function findingsOf<Findings>(
  run: { command: string; findings: unknown },
  command: Pick<CommandDefinition<z.ZodObject, Findings>, 'name' | 'collect'>,
): Findings | null {
  return run.command === command.name && run.findings != null ? (run.findings as Findings) : null;
}
