import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/state/audit.js';
import { connect, waitFor } from '../support/clients.js';
import { prepareHealingServer, startInstance, type HealingInstance, type HealingServer } from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;
let env: HealingServer;
let copy: HealingInstance;

beforeAll(async () => {
  // Embedded on purpose: the test stops a server process with a signal, which needs it on this machine.
  server = await startTestServer(18, { embedded: true });
  env = await prepareHealingServer(server);
  const app = await connect(env.appUrl);
  await app.query('CREATE TABLE hung (id int PRIMARY KEY); INSERT INTO hung SELECT generate_series(1, 1000)');
  await app.end();
  // A 3 s statement_timeout, so the client deadline (twice that) comes within the test; the lock wait may be long.
  copy = await startInstance(env, { targetHealing: { statementTimeoutMs: 3_000, lockTimeoutMs: 600_000 } });
}, 60_000);
afterAll(async () => {
  await copy?.close();
  await server?.stop();
});

describe('the action connection cannot hang forever', () => {
  it('a target backend that stops answering mid-statement: the client deadline ends the wait, the request is outcome unknown with what to check', async () => {
    const admin = await connect(env.adminUrl, 'ground-truth');
    const holder = await connect(env.appUrl, 'lock-holder');
    let stopped: number | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE hung IN SHARE UPDATE EXCLUSIVE MODE');
      const requested = await copy.healing.requestAction({
        action: 'vacuum-table',
        tokens: ['public.hung'],
        requestedBy: 'U_ALICE',
      });
      const approving = copy.healing.approve({ requestId: requested.request!.id, userId: 'U_BOB' });
      stopped = await waitFor(async () => {
        const { rows } = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'pgmedic-%-action' AND wait_event_type = 'Lock'",
        );
        return rows[0]?.pid;
      }, 'the VACUUM to wait for its lock');
      // The backend can no longer answer anything, not even its own statement_timeout: a hung server, for real.
      process.kill(stopped, 'SIGSTOP');
      const result = await approving;
      expect(result.request?.status).toBe('outcome_unknown');
      expect(result.request?.outcome?.summary).toMatch(
        /^the action connection was lost while the statement ran \(Query read timeout\), so pgmedic cannot say whether it finished\. Check: Did VACUUM of hung finish\? check last_vacuum/,
      );
      const trail = (await readAudit(copy.statePool, { requestId: requested.request!.id, limit: 10 }))
        .map((r) => r.event)
        .reverse();
      expect(trail).toEqual(['requested', 'approved', 'execution_started', 'outcome_unknown']);
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT');
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pgmedic-%-action'",
      );
      await holder.end();
      await admin.end();
    }
  }, 60_000);
});
