import type { Target } from '../db/targets.js';
import type { Report, Status } from '../report/model.js';
import { loadParser } from '../redact/parser.js';
import { DEFAULT_QUERY_TEXT_MODE } from '../redact/query-text.js';
import { containsQueryText } from '../report/query-text.js';
import type { AnyCommand } from './command.js';

export interface RunResult {
  command: string;
  target: string;
  status: Status;
  summary: string;
  findings: unknown;
  report: Report;
  meta: { serverVersion: string; inRecovery: boolean; elapsedMs: number; ranAt: string };
}

export interface RunRequest {
  command: AnyCommand;
  target: Target;
  /** Already validated (engine/options.ts). */
  options: Record<string, unknown>;
  now?: () => Date;
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
export async function runCommand(request: RunRequest): Promise<RunResult> {
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

async function runTimed(request: RunRequest): Promise<RunResult> {
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
