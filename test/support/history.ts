import type pg from 'pg';
import type { Target } from '../../src/db/targets.js';
import type { HistoryReader } from '../../src/engine/history.js';
import { parseOptions } from '../../src/engine/options.js';
import { findCommand } from '../../src/engine/registry.js';
import { runCommand, type RunResult } from '../../src/engine/run.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, loginRole } from './clients.js';
import { testTarget } from './engine.js';

/** Runs a command by name with typed option tokens and, like the bot and the CLI, the query history. */
export async function runWithHistory(
  target: Target,
  name: string,
  tokens: string[],
  history?: HistoryReader,
): Promise<RunResult> {
  const command = findCommand(name);
  return runCommand({ command, target, options: parseOptions(command, tokens), history });
}

export const slowQueries = (target: Target, tokens: string[], history?: HistoryReader) =>
  runWithHistory(target, 'slow-queries', tokens, history);

/** On one server: database `app` with pg_stat_statements, and a migrated state database `state`. */
export async function appAndState(
  url: (database?: string) => string,
  options: { trackState: boolean } = { trackState: true },
): Promise<{ app: pg.Client; state: pg.Pool }> {
  const admin = await connect(url());
  for (const name of ['app', 'state']) await admin.query(`CREATE DATABASE ${name}`);
  // The state database's own statements would otherwise land in pg_stat_statements beside the app's.
  if (!options.trackState) await admin.query(`ALTER DATABASE state SET pg_stat_statements.track = 'none'`);
  await admin.end();
  const app = await connect(url('app'));
  await app.query('CREATE EXTENSION pg_stat_statements');
  const state = createStatePool(url('state'));
  await migrateStateDatabase(state);
  return { app, state };
}

/**
 * appAndState with `app` read by a pg_monitor role (`monitor`) and the state database's statements not tracked
 * (they would otherwise land between a snapshot and the truth).
 */
export async function statementsWorld(url: (database?: string) => string): Promise<{
  app: pg.Client;
  state: pg.Pool;
  monitor: Target;
  close(): Promise<void>;
}> {
  const { app, state } = await appAndState(url, { trackState: false });
  const monitorUrl = await loginRole(url('app'), 'pgmedic_monitor');
  await app.query('GRANT pg_monitor TO pgmedic_monitor');
  const monitor = testTarget(monitorUrl);
  return {
    app,
    state,
    monitor,
    close: async () => {
      await app.end();
      await Promise.all([monitor.close(), state.end()]);
    },
  };
}
