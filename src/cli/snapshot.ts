import { loadConfig } from '../config/load.js';
import { loadSnapshotConfig } from '../config/history.js';
import { loadStateConfig } from '../config/state.js';
import type { Pool } from '../db/driver.js';
import { createTargets } from '../db/targets.js';
import { AppError, describeError } from '../errors.js';
import { runSnapshots, type SnapshotOutcome } from '../schedule/history/job.js';
import type { ScheduleLog } from '../schedule/poster.js';
import { plural } from '../report/format.js';
import { createStatePool } from '../state/pool.js';
import type { CliArgs } from './args.js';

const quiet: ScheduleLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * `pgmedic snapshot [--target NAME]`: one query-history snapshot now, of one target or all, stored in the state
 * database (as the bot's PGMEDIC_SNAPSHOT_CRON run does, without its claim). Fails when any target failed.
 */
export async function runSnapshotCommand(args: CliArgs): Promise<{ output: string; ok: boolean }> {
  const { url } = loadStateConfig();
  if (!url)
    throw new AppError(
      'config_invalid',
      'Snapshots are stored in the state database, and PGMEDIC_STATE_DATABASE_URL is not set.',
      { hint: 'Set it to the URL the bot uses (README, "Query history").' },
    );
  const config = await loadConfig();
  const targets = createTargets(config);
  const statePool = createStatePool(url, 2);
  try {
    await requireSchema(statePool);
    const chosen = args.target ? [targets.get(args.target)] : targets.names().map((n) => targets.get(n));
    const outcomes = await runSnapshots({
      statePool,
      targets: chosen,
      log: quiet,
      instanceId: 'cli',
      retentionDays: loadSnapshotConfig().retentionDays,
      now: () => new Date(),
    });
    const ok = outcomes.every((o) => o.status === 'taken');
    const output =
      args.format === 'json' ? JSON.stringify({ command: 'snapshot', snapshots: outcomes }, null, 2) : text(outcomes);
    return { output, ok };
  } finally {
    await Promise.all([targets.closeAll(), statePool.end()]);
  }
}

async function requireSchema(pool: Pool): Promise<void> {
  const { rows } = await pool
    .query<{ ready: boolean }>("SELECT to_regclass('pgmedic.history_snapshots') IS NOT NULL AS ready")
    .catch((error: unknown) => {
      throw new AppError('config_invalid', `The state database did not answer (${describeError(error).text}).`, {
        hint: 'Check PGMEDIC_STATE_DATABASE_URL.',
      });
    });
  if (!rows[0]?.ready)
    throw new AppError('config_invalid', 'The state database has no query-history tables yet.', {
      hint: 'Run `pgmedic migrate-state` (or start the bot once with PGMEDIC_STATE_DATABASE_URL set); it creates them.',
    });
}

function text(outcomes: readonly SnapshotOutcome[]): string {
  return outcomes
    .map((o) => {
      if (o.status === 'failed') return `${o.target}: no snapshot recorded: ${o.error}`;
      if (o.status === 'taken-elsewhere') return `${o.target}: taken by another copy`;
      const statements =
        o.statements === 'recorded'
          ? `${o.entries} statements`
          : `no statements (pg_stat_statements ${o.statements === 'not-preloaded' ? 'is not loaded' : 'is not installed'}; see \`pgmedic slow-queries\`)`;
      return `${o.target}: snapshot ${o.id} taken at ${o.takenAt.toISOString()}${o.inRecovery ? ' (standby)' : ''}: ${statements}, ${plural(o.databases, 'database')}, ${plural(o.relations, 'table')}`;
    })
    .join('\n');
}
