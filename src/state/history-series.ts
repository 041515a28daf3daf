import type { OthersBucket, Snapshot } from '../db/counters.js';
import type { StatementColumns } from '../db/statement-columns.js';
import { snapshotOf, type StoredSnapshotRow } from './history.js';
import { readStatementColumns } from './history-statement-columns.js';
import type { Queryable } from './requests.js';

/** The newest snapshot of a target taken before `before` (default: no bound), or undefined. */
export async function latestHistoryAt(db: Queryable, target: string, before?: Date): Promise<Date | undefined> {
  const { rows } = await db.query<{ taken_at: Date }>(
    `SELECT taken_at FROM pgmedic.history_snapshots
     WHERE target = $1 AND ($2::timestamptz IS NULL OR taken_at < $2) ORDER BY taken_at DESC LIMIT 1`,
    [target, before ?? null],
  );
  return rows[0]?.taken_at;
}

/**
 * Every snapshot of a target taken from `from` to `to` (inclusive), oldest first, without their
 * pg_stat_statements arrays (a recorded snapshot's entries read as []): the size and lag charts.
 */
export async function* readHistoryRange(db: Queryable, target: string, from: Date, to: Date): AsyncGenerator<Snapshot> {
  const { rows } = await db.query<StoredSnapshotRow>(
    `SELECT * FROM pgmedic.history_snapshots WHERE target = $1 AND taken_at BETWEEN $2 AND $3 ORDER BY taken_at, id`,
    [target, from, to],
  );
  for (const row of rows) yield snapshotOf(row);
}

/** One snapshot's statements; undefined where pg_stat_statements was not recorded. */
export interface StatementsAt {
  takenAt: Date;
  statements: StatementColumns | undefined;
}

/** Statement arrays read per query (about 0.3 MB each), AHEAD pages at once: memory stays bounded. */
const PAGE = 24;
/** Two state connections share the server's work of decoding the arrays while this process compares a page. */
const AHEAD = 2;

/**
 * The pg_stat_statements arrays of every snapshot of a target taken from `from` to `to` (inclusive), oldest first,
 * for the query-time charts: AHEAD pages at a time, so that a month of them is never in memory at once.
 */
export async function* readStatementHistory(
  db: Queryable,
  target: string,
  from: Date,
  to: Date,
): AsyncGenerator<StatementsAt> {
  const { rows } = await db.query<{
    id: string;
    taken_at: Date;
    recorded: boolean;
    stats_reset: string | null;
    dealloc: number | null;
    others: OthersBucket | null;
  }>(
    `SELECT id::text AS id, taken_at, statements_status = 'recorded' AND statements_info IS NOT NULL AS recorded,
       statements_info->>'statsReset' AS stats_reset, (statements_info->>'dealloc')::float8 AS dealloc,
       statements_info->'others' AS others
     FROM pgmedic.history_snapshots WHERE target = $1 AND taken_at BETWEEN $2 AND $3 ORDER BY taken_at, id`,
    [target, from, to],
  );
  const pageAt = async (i: number): Promise<StatementsAt[]> => {
    const page = rows.slice(i, i + PAGE);
    const columns = await readStatementColumns(
      db,
      page.filter((r) => r.recorded).map((r) => r.id),
    );
    return page.map((row) => ({
      takenAt: row.taken_at,
      statements: row.recorded
        ? { statsReset: row.stats_reset, dealloc: row.dealloc, others: row.others ?? undefined, ...columns(row.id) }
        : undefined,
    }));
  };
  // The state database reads the next pages (on other connections of the pool) while one is compared.
  const pending: Promise<StatementsAt[]>[] = [];
  const readAhead = (i: number) => {
    if (i >= rows.length) return;
    const page = pageAt(i);
    page.catch(() => {}); // a reader that stops early leaves it unread: no unhandled rejection
    pending.push(page);
  };
  for (let i = 0; i < AHEAD * PAGE; i += PAGE) readAhead(i);
  for (let i = 0; i < rows.length; i += PAGE) {
    const page = await pending.shift()!;
    readAhead(i + AHEAD * PAGE);
    yield* page;
  }
}
