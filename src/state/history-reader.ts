import type pg from 'pg';
import type { HistoryReader, TargetHistory } from '../db/history-types.js';
import { findBaseline, readHistorySnapshot, textsOf } from './history.js';
import { createStatePool } from './pool.js';
import type { Queryable } from './requests.js';

/** An undefined table: a state database the bot has not migrated yet has no snapshots. */
const noTable = (error: unknown) => (error as { code?: string }).code === '42P01';

/** The engine's HistoryReader over the state database. */
export function stateHistory(db: Queryable): HistoryReader {
  return (target): TargetHistory => ({
    baseline: (at, options) =>
      findBaseline(db, target, at, options?.withStatements).catch((error: unknown) => {
        if (noTable(error)) return undefined;
        throw error;
      }),
    snapshot: (id) => readHistorySnapshot(db, id),
    texts: (ids) => textsOf(db, target, ids),
  });
}

/** For one CLI run: the pool opens on the first read only (most commands never read the history). */
export function lazyStateHistory(url: string): { reader: HistoryReader; close(): Promise<void> } {
  let pool: pg.Pool | undefined;
  const db: Queryable = {
    query: ((...args: Parameters<pg.Pool['query']>) => {
      pool ??= createStatePool(url, 1);
      return (pool.query as (...a: unknown[]) => unknown)(...args);
    }) as Queryable['query'],
  };
  return { reader: stateHistory(db), close: async () => void (await pool?.end()) };
}
