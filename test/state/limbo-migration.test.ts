import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { createTargets } from '../../src/db/targets.js';
import { createCopyState } from '../../src/heal/limbo.js';
import { createPolicy } from '../../src/heal/policy.js';
import { createHealing } from '../../src/heal/service.js';
import { MIGRATIONS, migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(18);
  const admin = await connect(server.url());
  await admin.query('CREATE DATABASE state_upgrade');
  await admin.end();
});
afterAll(async () => {
  await server?.stop();
});

describe('upgrading to executor heartbeats (migration 4)', () => {
  it('a request an older version left approved is marked outcome unknown once, even with two copies sweeping at the same moment', async () => {
    const pool = createStatePool(server.url('state_upgrade'));
    const target = targetSchema.parse({ name: 'prod', url: server.url() });
    const targets = createTargets({ targets: [target], defaultTarget: 'prod' });
    try {
      await migrateStateDatabase(pool, MIGRATIONS.slice(0, 3));
      // Later migrations stay pending too: the upgrade under test is migration 4.
      await pool.query(`INSERT INTO pgmedic.approval_requests (id, action, target, params, statement, details, requested_by, status, approvals_required, approvers,
          created_at, expires_at, decided_by, decided_at)
        VALUES ('old', 'vacuum-table', 'prod', '{"schema":"public","table":"orders","oid":"1"}', 'VACUUM (ANALYZE) "public"."orders"', '{}', 'UALICE', 'approved', 1, '{UBOB}',
          now() - interval '1 hour', now() - interval '50 minutes', 'UBOB', now() - interval '55 minutes')`);
      expect(await migrateStateDatabase(pool, MIGRATIONS.slice(0, 4))).toEqual([4]);

      const copies = ['copy-a', 'copy-b'].map((id) =>
        createHealing({
          statePool: pool,
          targets,
          policy: createPolicy({ approvers: ['UBOB'], targets: [target] }),
          resolveGroup: async () => [],
          copy: createCopyState({ id }),
        }),
      );
      const swept = await Promise.all(copies.map((copy) => copy.sweepStale()));
      expect(swept.flat().map((r) => [r.id, r.status])).toEqual([['old', 'outcome_unknown']]);
      const [closed] = swept.flat();
      expect(closed!.outcome?.summary).toMatch(
        /^The copy of pgmedic running this \(unknown\) stopped answering, so pgmedic cannot say whether the SQL finished\. Check: Did VACUUM of orders finish\? check last_vacuum/,
      );
      const { rows } = await pool.query<{ event: string; actor: string | null }>(
        "SELECT event, actor FROM pgmedic.audit_log WHERE request_id = 'old'",
      );
      expect(rows).toEqual([{ event: 'outcome_unknown', actor: null }]);
      expect(await copies[0]!.sweepStale()).toEqual([]);
    } finally {
      await targets.closeAll();
      await pool.end();
    }
  });
});
