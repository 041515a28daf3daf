import { STATEMENT_COUNTERS, type StatementCounter } from '../db/counters.js';
import type { StatementColumns } from '../db/statement-columns.js';
import { type ArrayRow, COUNTER_COLUMNS } from './history.js';
import type { Queryable } from './requests.js';

type Columns = Omit<StatementColumns, 'statsReset' | 'dealloc' | 'others'>;

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

type Value = string | number | boolean | null | undefined;

/**
 * A column as entriesOf (src/state/history.ts) reads it: `read` of each value. The parsed array itself where it
 * needs no change, as it does not (no copy: a month of charts reads 864 × 18 of them).
 */
function column<T>(
  values: readonly Value[] | undefined,
  length: number,
  fits: (v: Value) => boolean,
  read: (v: Value) => T,
): T[] {
  if (values?.length === length && values.every(fits)) return values as T[];
  return Array.from({ length }, (_, i) => read(values?.[i]));
}

const isText = (v: Value) => typeof v === 'string';
const orNull = <T>(v: Value) => (v ?? null) as T | null;

/** Ids as text, a missing counter as 0. */
function columnsOf(row: ArrayRow | undefined): Columns {
  const length = row?.query_ids?.length ?? 0;
  const ids = (name: string) => column(row?.[name], length, isText, String);
  const counters = {} as Record<StatementCounter, number[]>;
  for (const [k, c] of STATEMENT_COUNTERS.entries())
    counters[c] = column(
      row?.[COUNTER_COLUMNS[k]!],
      length,
      (v) => typeof v === 'number',
      (v) => Number(v ?? 0),
    );
  return {
    queryIds: ids('query_ids'),
    userIds: ids('user_ids'),
    dbIds: ids('db_ids'),
    toplevel: column(row?.toplevel, length, (v) => typeof v === 'boolean' || v === null, orNull<boolean>),
    statsSince: column(row?.stats_since, length, (v) => isText(v) || v === null, orNull<string>),
    counters,
  };
}
