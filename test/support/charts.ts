import type pg from 'pg';
import type { Target } from '../../src/db/targets.js';
import { composeDigest } from '../../src/schedule/digest.js';
import { parseSectionSpec, resolveSections } from '../../src/schedule/digest-sections.js';
import { dayOffset } from '../../src/schedule/trends/compare.js';
import { snapshotTrends } from '../../src/schedule/trends/snapshots.js';

/** Six tables, so that charts (five lines at most) must choose; `orders` grows and `events` loses rows daily. */
export const CHART_TABLES = ['orders', 'events', 'line_items', 'customers', 'audit_log', 'sessions'] as const;

const SECTIONS = resolveSections(['bloat --min-size 0 --limit 100', 'vacuum --limit 10'].map(parseSectionSpec));

export async function createChartTables(app: pg.Client): Promise<void> {
  for (const [i, table] of CHART_TABLES.entries()) {
    await app.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text) WITH (autovacuum_enabled = off)`);
    await app.query(`INSERT INTO ${table} SELECT g, repeat('x', 100) FROM generate_series(1, $1::int) g`, [
      (i + 1) * 3000,
    ]);
  }
}

/**
 * A digest a day for `days` days ending at `lastDay`, through the real digest and the real snapshot writer;
 * between days the data changes as a real database's would.
 */
export async function runDailyDigests(
  app: pg.Client,
  target: Target,
  state: pg.Pool,
  lastDay: string,
  days: number,
): Promise<void> {
  for (let d = days - 1; d >= 0; d--) {
    const day = dayOffset(lastDay, -d);
    const step = days - d;
    await app.query(`INSERT INTO orders SELECT g, repeat('y', 200) FROM generate_series($1::int, $2::int) g`, [
      1_000_000 + step * 100_000,
      1_000_000 + step * 100_000 + step * 2000,
    ]);
    await app.query('DELETE FROM events WHERE id % 17 = $1', [step % 17]);
    await app.query('ANALYZE');
    await app.query('SELECT pg_stat_force_next_flush()');
    await app.query('SELECT 1');
    const digest = await composeDigest({
      name: 'daily',
      targets: [target],
      sections: SECTIONS,
      timezone: 'UTC',
      now: () => new Date(`${day}T07:00:00Z`),
      trends: snapshotTrends(state),
    });
    if (!digest.targets[0]?.reachable) throw new Error(`the digest of ${day} did not reach the target`);
  }
}
