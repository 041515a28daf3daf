import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionsFindings } from '../../commands/connections.js';
import type { LocksFindings } from '../../commands/locks.js';
import type { VacuumFindings } from '../../commands/vacuum/findings.js';
import { PGMEDIC_APPLICATION_NAME } from '../../src/db/sql.js';
import type { Target } from '../../src/db/targets.js';
import { connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import {
  prepareHealingServer,
  sessionAlive,
  startInstance,
  type HealingInstance,
  type HealingServer,
} from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';

let server: TestServer;
let env: HealingServer;
let bot: HealingInstance;
let monitor: Target;

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  bot = await startInstance(env);
  monitor = testTarget(env.monitorUrl);
});
afterAll(async () => {
  await bot?.close();
  await monitor?.close();
  await server?.stop();
});

describe('a client that calls itself pgmedic-impostor', () => {
  it('is still listed by connections, vacuum and locks, offered Terminate, and terminated after approval', async () => {
    const impostor = await connect(env.appUrl, 'pgmedic-impostor');
    const chain = await createBlockingChain(env.appUrl, 'impostor_accounts');
    try {
      await impostor.query('BEGIN');
      const { rows } = await impostor.query<{ pid: number; backend_start: string }>(
        'SELECT pid, backend_start::text AS backend_start, txid_current() FROM pg_stat_activity WHERE pid = pg_backend_pid()',
      );
      const self = rows[0]!;
      await impostor.query('LOCK TABLE impostor_accounts IN ACCESS SHARE MODE');

      const connections = (await run(monitor, 'connections', ['--min-idle', '0'])).findings as ConnectionsFindings;
      expect(connections.idleInTransaction.map((s) => s.pid)).toContain(self.pid);
      const vacuum = (await run(monitor, 'vacuum')).findings as VacuumFindings;
      expect(vacuum.horizon.map((h) => h.pid)).toContain(self.pid);

      // pgmedic's own backends stay out: its name is per process and random, not a prefix anyone can take
      expect(PGMEDIC_APPLICATION_NAME).toMatch(/^pgmedic-[0-9a-f]{16}$/);
      expect(connections.byApplication.map((a) => a.key)).toContain('pgmedic-impostor');
      expect(connections.byApplication.map((a) => a.key)).not.toContain(PGMEDIC_APPLICATION_NAME);

      // the impostor blocks an ALTER (and what queues behind it): it is the root, offered Terminate
      const alter = await connect(env.appUrl, 'scenario-alter');
      const alterPid = (await alter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const altered = alter.query('ALTER TABLE impostor_accounts ADD COLUMN note text').catch(() => undefined);
      try {
        // the ALTER must be queued for its lock before the chain drains, or locks may look before it asks
        await waitFor(
          async () =>
            (await impostor.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [alterPid])).rowCount,
          'the ALTER to wait for its lock',
          20_000,
        );
        await chain.release();
        const locks = await run(monitor, 'locks');
        expect((locks.findings as LocksFindings).rootPids).toContain(self.pid);
        const offered = locks.report.actions.find(
          (a) => a.action === 'terminate' && a.params.pid === String(self.pid),
        )!;
        expect(offered.params.backendStart).toBe(self.backend_start);

        const asked = await bot.healing.requestAction({
          action: 'terminate',
          target: 'prod',
          params: offered.params,
          requestedBy: 'U_ALICE',
          channel: 'C1',
        });
        const approved = await bot.healing.approve({ requestId: asked.request!.id, userId: 'U_BOB', channel: 'C1' });
        expect(approved.notice).toMatchObject({ kind: 'succeeded' });
        expect(await sessionAlive(env.adminUrl, self.pid, self.backend_start)).toBe(false);
      } finally {
        // a failed check leaves the impostor's lock held: end it first so the ALTER (and this test) can finish
        await impostor.end().catch(() => undefined);
        await altered;
        await alter.end();
      }
    } finally {
      await impostor.end().catch(() => undefined);
      await chain.close();
    }
  });
});
