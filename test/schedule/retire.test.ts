import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { createDiscovery } from '../../src/db/discovery.js';
import { createTargets } from '../../src/db/targets.js';
import { retireTargets } from '../../src/schedule/alerts/retire.js';
import { attachAlertMessage, insertFiring, listAlerts } from '../../src/state/alerts.js';
import { ensureLeaseRows, listLeases } from '../../src/state/leases.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases, recordingLog, recordingSlack } from '../support/schedule.js';

let server: TestServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app_one', 'app_gone', 'retire_state']);
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

const stateConnections = (allow: boolean) =>
  admin.query(`ALTER DATABASE retire_state WITH ALLOW_CONNECTIONS ${allow}`).then(async () => {
    if (!allow)
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'retire_state'");
  });

describe('a discovered database that is dropped', () => {
  it('has its alert closed with a note and its lease rows removed, retried at the next discovery while the state database is away', async () => {
    const state = createStatePool(server.url('retire_state'));
    await migrateStateDatabase(state);
    const config: Config = {
      targets: [
        targetSchema.parse({
          name: 'main',
          url: server.url('postgres'),
          discover: 'all-databases',
          include: ['app_*'],
        }),
      ],
      defaultTarget: 'main',
    };
    const targets = createTargets(config);
    const log = recordingLog();
    const slack = recordingSlack();
    const discovery = createDiscovery(targets, config, log);
    discovery.onChange(
      async (change) =>
        void (await retireTargets({ db: state, poster: slack.posterFor('A'), log }, change.removed, new Date())),
    );
    try {
      await discovery.refresh();
      expect(targets.names()).toContain('main/app_gone');
      const at = new Date();
      await insertFiring(
        state,
        'main/app_gone',
        { key: 'health:xid-age', severity: 'crit', summary: 'Transaction IDs 95 % used.' },
        'crit|x',
        at,
        'C0ALERTS',
      );
      await attachAlertMessage(state, 'main/app_gone', 'health:xid-age', 'C0ALERTS', '1700000000.000001');
      await ensureLeaseRows(state, 'alerts', ['main/app_one', 'main/app_gone']);

      await stateConnections(false);
      await admin.query('DROP DATABASE app_gone WITH (FORCE)');
      await discovery.refresh();
      expect(targets.names()).not.toContain('main/app_gone');
      expect(log.lines.find((l) => l.level === 'warn')).toMatchObject({
        fields: { removed: ['main/app_gone'] },
        message:
          'could not close the alerts and leases of removed targets (state database); retried at the next discovery',
      });
      expect(slack.calls).toEqual([]);

      await stateConnections(true);
      await discovery.refresh();
      const [alert] = await listAlerts(state, 'main/app_gone');
      expect(alert).toMatchObject({ status: 'resolved' });
      expect(slack.updates().map((u) => [u.ts, u.message.report.title])).toEqual([
        ['1700000000.000001', 'Closed: health:xid-age on main/app_gone (target removed)'],
      ]);
      const reply = slack.posts()[0]!;
      expect(reply.message.threadTs).toBe('1700000000.000001');
      expect(reply.message.report.summary).toContain('was removed from the configuration');
      expect(reply.message.report.summary).toContain('The problem was not seen to clear');
      expect((await listLeases(state, 'alerts')).map((l) => l.target)).toEqual(['main/app_one']);

      // Settled: a later discovery does not close or post anything again.
      await discovery.refresh();
      expect(slack.calls).toHaveLength(2);
    } finally {
      await stateConnections(true);
      discovery.stop();
      await targets.closeAll();
      await state.end();
    }
  }, 60_000);
});
