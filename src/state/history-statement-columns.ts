import { STATEMENT_COUNTERS, type StatementCounter } from '../db/counters.js';
import type { StatementColumns } from '../db/statement-columns.js';
import { type ArrayRow, COUNTER_COLUMNS } from './history.js';
import type { Queryable } from './requests.js';

type Columns = Omit<StatementColumns, 'statsReset'>;

/**
 * The statement arrays as one json value: JSON.parse is many times faster than parsing 18 PostgreSQL arrays of 500
 * (bench/HISTORY-CHARTS-RESULTS.md); ids as text, as bigint does not fit a JSON number.
 */
const ARRAYS_AS_JSON = `json_build_object('query_ids', query_ids::text[], 'user_ids', user_ids::text[], 'db_ids', db_ids::text[],
  'toplevel', toplevel, 'stats_since', stats_since, ${COUNTER_COLUMNS.map((c) => `'${c}', ${c}`).join(', ')})`;

/** The statement arrays of these snapshots, by snapshot id (a snapshot without them: no statements). */
export async function readStatementColumns(db: Queryable, ids: readonly string[]): Promise<(id: string) => Columns> {
  const found = new Map<string, ArrayRow>();
  if (ids.length) {
    const { rows } = await db.query<{ id: string; arrays: ArrayRow }>(
      `SELECT snapshot_id::text AS id, ${ARRAYS_AS_JSON} AS arrays FROM pgmedic.history_statements
       WHERE snapshot_id = ANY($1::bigint[])`,
      [ids],
    );
    for (const row of rows) found.set(row.id, row.arrays);
  }
  return (id) => columnsOf(found.get(id));
}

/** As entriesOf (src/state/history.ts) reads them: ids as text, a missing counter as 0. */
function columnsOf(row: ArrayRow | undefined): Columns {
  const ids = row?.query_ids ?? [];
  const each = <T>(name: string, read: (v: string | number | boolean | null | undefined) => T) =>
    ids.map((_, i) => read(row![name]![i]));
  const counters = {} as Record<StatementCounter, number[]>;
  for (const [k, c] of STATEMENT_COUNTERS.entries()) counters[c] = each(COUNTER_COLUMNS[k]!, (v) => Number(v ?? 0));
  return {
    queryIds: ids.map(String),
    userIds: each('user_ids', String),
    dbIds: each('db_ids', String),
    toplevel: each('toplevel', (v) => (v ?? null) as boolean | null),
    statsSince: each('stats_since', (v) => (v ?? null) as string | null),
    counters,
  };
}
