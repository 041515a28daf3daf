import {
  type OthersBucket,
  STATEMENT_COUNTERS,
  type StatementCounter,
  type StatementReading,
} from './statement-counters.js';

/**
 * A reading's statements as parallel arrays (one per key part and counter), as the query history stores them:
 * a month of query-time charts compares 864 readings of 500 statements, which an object per statement made slow
 * (bench/HISTORY-CHARTS-RESULTS.md). `statsReset`, `dealloc` and `others` (the "all others" bucket; missing from
 * some older snapshots) as in StatementReading.
 */
export interface StatementColumns {
  statsReset: string | null;
  dealloc: number | null;
  others: OthersBucket | undefined;
  queryIds: string[];
  userIds: string[];
  dbIds: string[];
  toplevel: (boolean | null)[];
  statsSince: (string | null)[];
  counters: Record<StatementCounter, number[]>;
}

export function columnsOf(
  reading: Pick<StatementReading, 'statsReset' | 'entries' | 'dealloc'> & { others?: OthersBucket },
): StatementColumns {
  const { entries } = reading;
  const counters = {} as Record<StatementCounter, number[]>;
  for (const c of STATEMENT_COUNTERS) counters[c] = entries.map((e) => e[c]);
  return {
    statsReset: reading.statsReset,
    dealloc: reading.dealloc,
    others: reading.others,
    queryIds: entries.map((e) => e.queryId),
    userIds: entries.map((e) => e.userId),
    dbIds: entries.map((e) => e.dbId),
    toplevel: entries.map((e) => e.toplevel),
    statsSince: entries.map((e) => e.statsSince),
    counters,
  };
}
