/** The neutral Report model every surface renders (Block Kit, terminal, JSON). Plain data only. */

export type Status = 'ok' | 'warn' | 'crit';

export interface Fact {
  label: string;
  value: string;
  status?: Status;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export type Section =
  | { kind: 'facts'; title?: string; facts: Fact[] }
  | { kind: 'table'; title?: string; columns: Column[]; rows: string[][]; empty?: string }
  | { kind: 'code'; title?: string; text: string }
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
