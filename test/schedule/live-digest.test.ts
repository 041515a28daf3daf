import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestScheduleSchema } from '../../src/config/schedule.js';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { createDiscovery } from '../../src/db/discovery.js';
import { createTargets } from '../../src/db/targets.js';
import { createScheduler } from '../../src/schedule/scheduler.js';
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
  await createDatabases(admin, ['app', 'leaving', 'live_state']);
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

const configOf = (names: string[]): Config => ({
  targets: names.map((name) => targetSchema.parse({ name, url: server.url(name) })),
  defaultTarget: names[0],
});

describe('digests after a reload removed one of their targets', () => {
  it('the scheduled digest and /pg digest cover the live targets, skip the removed one and say so in the log', async () => {
    const state = createStatePool(server.url('live_state'));
    await migrateStateDatabase(state);
    const targets = createTargets(configOf(['app', 'leaving']));
    const slack = recordingSlack();
    const log = recordingLog();
    const scheduler = createScheduler({
      statePool: state,
      targets,
      poster: slack.posterFor('A'),
      log,
      schedule: {
        digests: [
          digestScheduleSchema.parse({
            name: 'daily',
            cron: '0 7 1 1 *',
            channel: 'C0DIGEST',
            sections: ['health'],
            targets: ['app', 'leaving'],
          }),
        ],
        alerts: undefined,
      },
      instanceId: 'A',
    });
    try {
      // What SIGHUP does once the new file is read (src/reload.ts): the discovery swaps the target list.
      await createDiscovery(targets, configOf(['app', 'leaving']), log).reconfigure(configOf(['app']));
      expect(targets.names()).toEqual(['app']);

      expect(await scheduler.runScheduled('daily', new Date('2026-01-01T07:00:00Z'))).toBe('sent');
      const summary = slack.posts().find((p) => !p.message.threadTs)!;
      const facts = summary.message.report.sections[0]!;
      expect(facts.kind === 'facts' && facts.facts.map((f) => f.label)).toEqual(['app']);
      expect(log.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          fields: { digest: 'daily', targets: ['leaving'] },
          message: 'these digest targets are not configured or discovered any more',
        }),
      );
      expect((await scheduler.digestNow()).targets.map((t) => t.target)).toEqual(['app']);
      // A name typed in /pg digest still has to exist.
      await expect(scheduler.digestNow({ targets: ['leaving'] })).rejects.toThrow('There is no target named "leaving"');
    } finally {
      await targets.closeAll();
      await state.end();
    }
  }, 60_000);
});
