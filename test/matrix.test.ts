import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_MAJORS } from '../src/embedded/binaries.js';
import type { Target } from '../src/db/targets.js';
import { listCommands } from '../src/engine/registry.js';
import { connect, waitFor } from './support/clients.js';
import { run, testTarget } from './support/engine.js';
import { startTestServer, type TestServer } from './support/pg.js';
import { startStandby } from './support/standby.js';
import type { Cluster } from '../src/embedded/cluster.js';

/** Extra option sets that reach SQL paths the defaults skip (small floors so the seeded objects qualify). */
const VARIANTS: Record<string, string[][]> = {
  bloat: [
    ['--min-size', '0'],
    ['--min-size', '0', '--exact'],
  ],
  indexes: [['--min-size', '0']],
  database: [['matrix']],
  wraparound: [['matrix']],
};

/** Objects for every diagnostic to find: data, indexes (one duplicate), a sequence, dead rows, statements. */
const SEED = `
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION IF NOT EXISTS pgstattuple;
CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL, note text, created timestamptz DEFAULT now());
INSERT INTO orders (customer, note) SELECT g % 100, repeat('x', 50) FROM generate_series(1, 5000) g;
CREATE INDEX orders_customer ON orders (customer);
CREATE INDEX orders_customer_dup ON orders (customer);
CREATE INDEX orders_customer_created ON orders (customer, created);
DELETE FROM orders WHERE id % 3 = 0;
CREATE SEQUENCE small_seq MAXVALUE 100; SELECT setval('small_seq', 90);
ANALYZE orders;
SELECT count(*) FROM orders WHERE customer = 7;`;

/**
 * Every registered diagnostic, with default options (and the variants above), on a primary and on a
 * streaming standby of every supported major: any SQL error fails the test.
 */
describe.each(SUPPORTED_MAJORS.map((major) => ({ major })))(
  'PostgreSQL $major: every command on a primary and a standby',
  ({ major }) => {
    let primary: TestServer;
    let standby: Cluster;
    const targets: Record<'primary' | 'standby', Target | undefined> = { primary: undefined, standby: undefined };

    beforeAll(async () => {
      primary = await startTestServer(major, { embedded: true });
      const seed = await connect(primary.url());
      await seed.query('CREATE DATABASE matrix');
      await seed.query(SEED);
      await seed.end();
      standby = await startStandby(primary.cluster!);
      const probe = await connect(standby.url());
      await waitFor(
        async () => (await probe.query("SELECT 1 FROM pg_class WHERE relname = 'orders'")).rowCount,
        'the standby to replay the seed',
      );
      await probe.end();
      targets.primary = testTarget(primary.url());
      targets.standby = testTarget(standby.url());
    });

    afterAll(async () => {
      await targets.primary?.close();
      await targets.standby?.close();
      await standby?.stop();
      await primary?.stop();
    });

    const cases = listCommands('diagnostic').flatMap((command) =>
      [[], ...(VARIANTS[command.name] ?? [])].flatMap((tokens) =>
        (['primary', 'standby'] as const).map((role) => ({ role, command: command.name, tokens })),
      ),
    );

    it.each(cases)('$command $tokens on the $role', async ({ role, command, tokens }) => {
      const result = await run(targets[role]!, command, tokens);
      expect(['ok', 'warn', 'crit']).toContain(result.status);
      expect(result.summary.length).toBeGreaterThan(0);
      expect(result.meta.inRecovery).toBe(role === 'standby');
      expect(result.meta.serverVersion.startsWith(String(major))).toBe(true);
    });
  },
);
