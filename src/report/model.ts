/** The neutral Report model every surface renders (Block Kit, terminal, JSON). Plain data only. */
import type { QueryTextMode } from '../redact/modes.js';

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
  | { kind: 'table'; title?: string; columns: Column[]; rows: string[][]; empty?: string }
  | { kind: 'code'; title?: string; text: string; queryText?: QueryTextMark }
  | { kind: 'text'; title?: string; text: string };

/** A healing action a report offers; becomes an approval request when clicked. */
export interface SuggestedAction {
  /** Name of an action command (commands/<action>.ts), e.g. `terminate`. */
  action: string;
  label: string;
  /** What identifies the target of the action (pid + backendStart, schema + table, …). Strings only. */
  params: Record<string, string>;
  style?: 'primary' | 'danger';
}

export interface Report {
  title: string;
  status: Status;
  summary: string;
  sections: Section[];
  actions: SuggestedAction[];
  footnotes: string[];
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
