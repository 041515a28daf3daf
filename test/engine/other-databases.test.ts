import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { MAX_OTHER_DATABASE_POOLS, OTHER_DATABASE_IDLE_MS, otherDatabasePools } from '../../src/db/other-databases.js';
import type { Target } from '../../src/db/targets.js';
import type { AppError } from '../../src/errors.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

// `database <name>` and `wraparound <name>` open a pool on another database: only for names pg_database lists,
// a bounded number of them, closed when idle.
let server: TestServer;
let target: Target;
const DATABASES = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];

beforeAll(async () => {
  server = await startTestServer(18);
  const admin = await connect(server.url());
  for (const name of [...DATABASES, 'closed_db']) await admin.query(`CREATE DATABASE ${name}`);
  await admin.query('ALTER DATABASE closed_db ALLOW_CONNECTIONS false');
  await admin.end();
  target = testTarget(server.url());
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

const failure = (command: string, name: string) =>
  run(target, command, [name]).then(
    () => undefined,
    (e: unknown) => e as AppError,
  );

describe('other databases of a target', () => {
  it('refuses names pg_database does not list (or that refuse connections) before connecting, with the closest name', async () => {
    for (const name of ['nosuch', 'd7', "d1'; DROP DATABASE d2; --", '../d1', 'closed_db', 'x'.repeat(200)]) {
      const error = await failure('wraparound', name);
      expect([name, error?.code]).toEqual([name, 'bad_input']);
    }
    expect((await failure('wraparound', 'd7'))?.hint).toMatch(/d1|d2|d3|d4|d5|d6/);
    expect((await failure('database', 'nosuch'))?.code).toBe('bad_input');
    expect(target.otherDatabases()).toEqual([]);
  });

  it(`keeps at most ${MAX_OTHER_DATABASE_POOLS} pools, the most recently used`, async () => {
    for (const name of DATABASES)
      expect((await run(target, 'wraparound', [name])).findings).toMatchObject({ tablesDatabase: name });
    expect(target.otherDatabases()).toEqual(DATABASES.slice(-MAX_OTHER_DATABASE_POOLS));
    await run(target, 'database', ['d3']);
    expect(target.otherDatabases()).toEqual(['d4', 'd5', 'd6', 'd3']);
    // The evicted pools were closed: the server has no pgmedic session left on d1 or d2.
    const admin = await connect(server.url());
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_stat_activity WHERE application_name = 'pgmedic' AND datname IN ('d1', 'd2')",
    );
    await admin.end();
    expect(rows).toEqual([]);
  });

  it('closes a pool left idle', async () => {
    let clock = 0;
    const pools = otherDatabasePools(
      targetSchema.parse({ name: 't', url: server.url() }),
      async () => DATABASES,
      () => clock,
    );
    await pools.get('d1');
    clock += OTHER_DATABASE_IDLE_MS - 1;
    await pools.get('d2');
    expect(pools.open()).toEqual(['d1', 'd2']);
    clock += 2;
    await pools.get('d2');
    expect(pools.open()).toEqual(['d2']);
    await pools.closeAll();
  });
});
