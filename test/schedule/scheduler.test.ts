import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestScheduleSchema, type ScheduleConfig } from '../../src/config/schedule.js';
import type { Targets } from '../../src/db/targets.js';
import { createScheduler, type Scheduler } from '../../src/schedule/scheduler.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, waitFor } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases, recordingLog, recordingSlack, refusedUrl, targetsOf } from '../support/schedule.js';

let server: TestServer;
let admin: pg.Client;
let refused: string;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state_live', 'state_missed']);
  refused = await refusedUrl();
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

interface Instance {
  scheduler: Scheduler;
  state: pg.Pool;
  targets: Targets;
  close(): Promise<void>;
}

/** One running copy of the bot: its own state pool, target pools and scheduler. */
async function startInstance(
  name: string,
  stateDb: string,
  schedule: ScheduleConfig,
  slack: ReturnType<typeof recordingSlack>,
  log = recordingLog(),
  now?: () => Date,
): Promise<Instance & { log: typeof log }> {
  const state = createStatePool(server.url(stateDb));
  await migrateStateDatabase(state);
  const targets = targetsOf([
    { name: 'app', url: server.url('app') },
    { name: 'refused', url: refused },
  ]);
  const scheduler = createScheduler({
    statePool: state,
    targets,
    poster: slack.posterFor(name),
    log,
    schedule,
    instanceId: name,
    ...(now ? { now } : {}),
  });
  await scheduler.start();
  return {
    scheduler,
    state,
    targets,
    log,
    async close() {
      await scheduler.stop();
      await targets.closeAll();
      await state.end();
    },
  };
}

const digest = (fields: Record<string, unknown>) =>
  digestScheduleSchema.parse({ channel: 'C0DIGEST', sections: ['health'], ...fields });

async function sentClaims(
  state: pg.Pool,
  job: string,
): Promise<{ scheduled_at: Date; instance_id: string; outcome: string | null }[]> {
  const { rows } = await state.query(
    'SELECT scheduled_at, instance_id, outcome FROM pgmedic.schedule_claims WHERE job = $1 ORDER BY scheduled_at',
    [job],
  );
  return rows;
}

describe('scheduled digests across copies of the bot', () => {
  it('sends each scheduled digest exactly once with two copies running and one restarted in the middle', async () => {
    const slack = recordingSlack();
    const schedule: ScheduleConfig = {
      digests: [digest({ name: 'fast', cron: '* * * * * *', targets: ['app', 'refused'] })],
      alerts: undefined,
    };
    const a = await startInstance('A', 'state_live', schedule, slack);
    const b = await startInstance('B', 'state_live', schedule, slack);
    const sent = async (n: number) =>
      waitFor(
        async () => (await sentClaims(a.state, 'digest:fast')).filter((c) => c.outcome === 'sent').length >= n,
        `${n} digests`,
        20_000,
      );
    await sent(3);
    await a.close(); // a restart in the middle: A goes away, B carries on, A comes back with new pools
    await waitFor(
      async () =>
        (await sentClaims(b.state, 'digest:fast')).filter((c) => c.outcome === 'sent' && c.instance_id === 'B')
          .length >= 2,
      'B alone',
      20_000,
    );
    const again = await startInstance('A2', 'state_live', schedule, slack);
    const before = (await sentClaims(b.state, 'digest:fast')).length;
    await waitFor(
      async () => (await sentClaims(b.state, 'digest:fast')).length >= before + 3,
      'three more digests',
      20_000,
    );
    await b.close();
    await again.close();

    const pool = await freshPool('state_live');
    const claims = await sentClaims(pool, 'digest:fast');
    await pool.end();
    const main = slack.posts().filter((p) => !p.message.threadTs);
    expect(claims.every((c) => c.outcome === 'sent')).toBe(true);
    expect(main).toHaveLength(claims.length);
    expect(new Set(claims.map((c) => c.instance_id)).size).toBeGreaterThanOrEqual(2);
    // Every summary names the unreachable target, and its detail went into that summary's thread.
    for (const post of main) {
      const facts = post.message.report.sections[0]!;
      expect(facts.kind === 'facts' && facts.facts.find((f) => f.label === 'refused')!.value).toMatch(
        /^could not reach refused: /,
      );
      expect(
        slack
          .posts()
          .filter((p) => p.message.threadTs === post.ts)
          .map((p) => p.message.report.title),
      ).toEqual(['Health']);
    }
  }, 90_000);

  it('sends a digest missed while every copy was down once on start within the grace period, and skips an older one with a log line', async () => {
    const slack = recordingSlack();
    const schedule: ScheduleConfig = {
      digests: [
        digest({ name: 'morning', cron: '0 0 7 * * *', graceMinutes: 60, targets: ['app'] }),
        digest({ name: 'early', cron: '0 5 * * *', graceMinutes: 10, targets: ['app'] }),
      ],
      alerts: undefined,
    };
    const now = () => new Date('2025-01-15T07:30:00Z');
    const logs = [recordingLog(), recordingLog(), recordingLog()];
    const [a, b] = await Promise.all([
      startInstance('A', 'state_missed', schedule, slack, logs[0], now),
      startInstance('B', 'state_missed', schedule, slack, logs[1], now),
    ]);
    await a.close();
    await b.close();
    const c = await startInstance('C', 'state_missed', schedule, slack, logs[2], now); // restarted later the same morning
    await c.close();

    expect(slack.posts().filter((p) => !p.message.threadTs)).toHaveLength(1);
    const state = await freshPool('state_missed');
    expect(await sentClaims(state, 'digest:morning')).toMatchObject([
      { scheduled_at: new Date('2025-01-15T07:00:00Z'), outcome: 'sent' },
    ]);
    expect(await sentClaims(state, 'digest:early')).toMatchObject([
      { scheduled_at: new Date('2025-01-15T05:00:00Z'), outcome: 'skipped: past the grace period' },
    ]);
    await state.end();
    const skipped = logs.flatMap((l) => l.lines).filter((l) => l.message.startsWith('missed digest skipped'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.fields).toMatchObject({
      digest: 'early',
      scheduledAt: '2025-01-15T05:00:00.000Z',
      lateMinutes: 150,
      graceMinutes: 10,
    });
  }, 60_000);

  it('composes `/pg digest [target]` on demand for the named target only', async () => {
    const slack = recordingSlack();
    const instance = await startInstance('D', 'state_live', { digests: [], alerts: undefined }, slack);
    try {
      const result = await instance.scheduler.digestNow({ targets: ['app'] });
      expect(result.targets.map((t) => [t.target, t.reachable])).toEqual([['app', true]]);
      expect(result.targets[0]!.pieces.map((p) => p.command)).toEqual(['bloat', 'vacuum']);
      await expect(instance.scheduler.digestNow({ targets: ['nope'] })).rejects.toMatchObject({
        code: 'unknown_target',
      });
      const { ts } = await instance.scheduler.postDigest('C0HERE', result);
      expect(slack.posts().map((p) => p.message.threadTs ?? 'main')).toEqual(['main', ts, ts]);
    } finally {
      await instance.close();
    }
  }, 30_000);
});

async function freshPool(db: string): Promise<pg.Pool> {
  return createStatePool(server.url(db));
}
