/** The neutral Report model every surface renders (Block Kit, terminal, JSON). Plain data only. */
import type { QueryTextMode } from '../redact/modes.js';
import type { ActionName } from '../../actions/names.js';

/**
 * Marks text the server handed over as query text (pg_stat_activity.query, pg_stat_statements.query). It is
 * stored as sent and never shown as sent: every surface passes the report through applyQueryText
 * (src/report/query-text.ts), which redacts it by the report's `queryText` mode and then cuts it to `max`.
 */
export interface QueryTextMark {
  max: number;
}

export type Status = 'ok' | 'warn' | 'crit';

export interface Fact {
  label: string;
  value: string;
  status?: Status;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Every cell of this column is query text. */
  queryText?: QueryTextMark;
}

export type Section =
  | { kind: 'facts'; title?: string; facts: Fact[] }
  | {
      kind: 'table';
      title?: string;
      columns: Column[];
      rows: string[][];
      empty?: string /** Per row, for a status column where a surface has one. */;
      rowStatus?: Status[];
    }
  | { kind: 'code'; title?: string; text: string; queryText?: QueryTextMark }
  | { kind: 'text'; title?: string; text: string };

/** A healing action a report offers; becomes an approval request when clicked. */
export interface SuggestedAction {
  /** Name of an action (actions/<action>.ts), e.g. `terminate`. */
  action: ActionName;
  label: string;
  /** What identifies the target of the action (pid + backendStart, schema + table, …). Strings only. */
  params: Record<string, string>;
  style?: 'primary' | 'danger';
}

/**
 * A read-only diagnostic a report points to next (e.g. the plan of one listed statement). Unlike a
 * SuggestedAction it changes nothing, so it needs no approval: Slack renders it as a button that runs the
 * command for the clicker, the terminal as "next: pgmedic explain 1234".
 */
export interface FollowUp {
  command: 'explain';
  /** The command's positional arguments, as a person would type them (validated again when run). */
  args: string[];
  label: string;
  /** The row of the report's first table it belongs to (0-based), when it is per row. */
  row?: number;
}

/** The stretch of time a report's figures cover (`--since`), exactly as read: JSON shows it as `meta.window`. */
export interface ReportWindow {
  /** When the snapshot the window starts at was taken (ISO 8601). */
  from: string;
  /** When the target was read for this report (ISO 8601). */
  to: string;
  seconds: number;
  /** What was asked for (`--since`), in seconds. */
  requestedSeconds: number;
  /** False when no snapshot was that old and the oldest one was used. */
  coversRequest: boolean;
}

export interface Report {
  title: string;
  status: Status;
  /** One sentence; when the status is warn or crit it names the cause. */
  summary: string;
  /** Why the status is not ok, one phrase per cause (thresholds crossed); facts with a status count too. */
  reasons?: string[];
  sections: Section[];
  actions: SuggestedAction[];
  /** Diagnostics to run next (read-only, never behind approval). */
  followUps?: FollowUp[];
  /** Advice and caveats ("grant …", "use --exact"); every surface shows them, JSON as `notes`. */
  footnotes: string[];
  /** Figures over a window of the query history rather than since the last reset. */
  window?: ReportWindow;
  /** How query text in this report is shown: the target's `queryText` setting (default redacted), set by the engine. */
  queryText?: QueryTextMode;
}

const RANK: Record<Status, number> = { ok: 0, warn: 1, crit: 2 };

export function worstStatus(...statuses: Status[]): Status {
  return statuses.reduce<Status>((worst, s) => (RANK[s] > RANK[worst] ? s : worst), 'ok');
}

/** Status for a value against warn/crit thresholds (higher is worse). */
export function statusFor(value: number, thresholds: { warn: number; crit: number }): Status {
  if (value >= thresholds.crit) return 'crit';
  if (value >= thresholds.warn) return 'warn';
  return 'ok';
}

/**
 * The causes of a non-ok status, for every surface: the report's own reasons, then each fact marked warn or
 * crit ("label: value"); the summary when a report names nothing else. Empty when the status is ok.
 */
export function statusReasons(report: Report): string[] {
  if (report.status === 'ok') return [];
  const facts = report.sections.flatMap((s) =>
    s.kind === 'facts' ? s.facts.filter((f) => f.status && f.status !== 'ok').map((f) => `${f.label}: ${f.value}`) : [],
  );
  const reasons = [...new Set([...(report.reasons ?? []), ...facts])];
  return reasons;
}

/** Everything a report advises in prose: its footnotes and its text sections (e.g. health's "Next"). */
export function reportNotes(report: Report): string[] {
  const sections = report.sections.flatMap((s) => (s.kind === 'text' ? [s.text] : []));
  return [...report.footnotes, ...sections];
}

/**
 * A ratio accumulated since the statistics were reset (often since server start) averages over hours or
 * days, a bulk load included: it may warn, but it never raises crit on its own.
 */
export function cumulativeStatus(status: Status): Status {
  return status === 'crit' ? 'warn' : status;
}
