import type { Pool } from '../../db/driver.js';
import { latestSnapshotDay, readSnapshots, writeSnapshot } from '../../state/relation-snapshots.js';
import type { DigestPiece } from '../digest-model.js';
import { compareTrends, dayOffset, type TrendEvent } from './compare.js';
import { snapshotRows } from './extract.js';

/** The charts read the stored history through the trends (src/charts does not reach the state database). */
export { latestSnapshotDay, readSnapshots };

/** The digest's `trends` dependency: compare with the last week, then store today's snapshot. */
export function snapshotTrends(
  pool: Pool,
): (target: string, day: string, pieces: readonly DigestPiece[]) => Promise<TrendEvent[]> {
  return async (target, day, pieces) => {
    const rows = snapshotRows(pieces);
    if (!rows.length) return [];
    const history = await readSnapshots(pool, target, dayOffset(day, -7), day);
    await writeSnapshot(pool, target, day, rows);
    return compareTrends(rows, history, day);
  };
}
