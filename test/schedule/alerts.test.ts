import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsSchema } from '../../src/config/schedule.js';
import type { Targets } from '../../src/db/targets.js';
import { reconcile } from '../../src/schedule/alerts/lifecycle.js';
import { changeFiring, insertFiring, listAlerts } from '../../src/state/alerts.js';
import { createAlertWatch, type AlertWatch } from '../../src/schedule/alerts/watch.js';
import { createScheduler } from '../../src/schedule/scheduler.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, loginRole, waitFor } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';
import { createDatabases, recordingLog, recordingSlack, refusedUrl, targetsOf } from '../support/schedule.js';

let server: TestServer;
let admin: pg.Client;
let refused: string;
/** The blocking chains run as a plain role: pgmedic offers no Terminate on a superuser's session. */
let chainUrl: string;
/** Raise a blocker at once: any wait counts, two sessions held up is enough. */
const THRESHOLDS = { lockWaitSeconds: { warn: 0, crit: 600 }, rootBlockerSessions: { warn: 2, crit: 50 } };
const SETTINGS = { channel: 'C0ALERTS', cooldownSeconds: 600, resolveAfterSeconds: 0, retryPostSeconds: 60 };

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state']);
  refused = await refusedUrl();
  chainUrl = await loginRole(server.url('app'), 'chainer');
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

interface Copy {
  watch: AlertWatch;
  state: pg.Pool;
  targets: Targets;
  close(): Promise<void>;
}

/** One copy of the bot's alert watch: own state pool, own target pools. */
async function startCopy(
  name: string,
  slack: ReturnType<typeof recordingSlack>,
  targetUrl = server.url('app'),
): Promise<Copy> {
  const state = createStatePool(server.url('state'));
  await migrateStateDatabase(state);
  const targets = targetsOf([{ name: 'app', url: targetUrl, thresholds: THRESHOLDS, connectTimeoutMs: 2_000 }]);
  const watch = createAlertWatch({
    db: state,
    poster: slack.posterFor(name),
    log: recordingLog(),
    settings: SETTINGS,
    targets: [targets.get('app')],
    intervalMs: 60_000,
    fireAt: 'warn',
  });
  return {
    watch,
    state,
    targets,
    close: async () => {
      await watch.stop();
      await targets.closeAll();
      await state.end();
    },
  };
}

const both = (copies: Copy[]) => Promise.all(copies.map((c) => c.watch.checkOnce()));

describe('alert watches', () => {
  it('raise a blocking chain once across two copies, update that message while it lasts, and resolve it when the root commits', async () => {
    const slack = recordingSlack();
    const chain = await createBlockingChain(chainUrl);
    let [a, b] = [await startCopy('A', slack), await startCopy('B', slack)];
    try {
      const blocked = await admin.query<{ pids: number[] }>('SELECT pg_blocking_pids($1) AS pids', [chain.middlePid]);
      expect(blocked.rows[0]!.pids).toEqual([chain.rootPid]); // ground truth: PostgreSQL's own view of who blocks whom
      await both([a, b]);
      const raised = slack.posts();
      expect(raised).toHaveLength(1);
      expect(raised[0]!.message.report.summary).toMatch(
        new RegExp(`^Session ${chain.rootPid} \\(chainer, idle in transaction\\) blocks 2 sessions`),
      );
      expect(raised[0]!.message.report.actions).toEqual([
        expect.objectContaining({
          action: 'terminate',
          params: expect.objectContaining({ pid: String(chain.rootPid) }),
        }),
      ]);
      const key = (await listAlerts(a.state, 'app'))[0]!.key;
      expect(key).toMatch(new RegExp(`^locks:root:${chain.rootPid}:`));

      await new Promise((r) => setTimeout(r, 1_100)); // the wait grows, so the message has something new to say
      await both([a, b]);
      expect(slack.posts()).toHaveLength(1);
      expect(slack.updates().length).toBeGreaterThanOrEqual(1);
      expect(new Set(slack.updates().map((u) => u.ts))).toEqual(new Set([raised[0]!.ts]));

      await a.close(); // a restart in the middle: the new copy knows the alert from the state database
      a = await startCopy('A2', slack);
      await new Promise((r) => setTimeout(r, 1_100));
      await a.watch.checkOnce();
      expect(slack.posts()).toHaveLength(1);

      await chain.release();
      await both([a, b]);
      const [resolution] = slack.posts().slice(1);
      expect(slack.posts()).toHaveLength(2);
      expect(resolution!.message).toMatchObject({
        threadTs: raised[0]!.ts,
        report: { status: 'ok', title: `Resolved: ${key} on app` },
      });
      const last = slack.updates().at(-1)!;
      expect(last).toMatchObject({ ts: raised[0]!.ts, message: { report: { status: 'ok', actions: [] } } });
      expect(await listAlerts(b.state, 'app')).toEqual([
        expect.objectContaining({ key, status: 'resolved', messageTs: raised[0]!.ts, flaps: 0 }),
      ]);

      await both([a, b]); // nothing left to say
      expect(slack.calls.filter((c) => c.op === 'post')).toHaveLength(2);
    } finally {
      await chain.release();
      await chain.close();
      await a.close();
      await b.close();
    }
  }, 60_000);

  it('raises "not answering" once for a target that stopped answering, and damps flapping with the cooldown', async () => {
    const slack = recordingSlack();
    const [a, b] = [await startCopy('A', slack, refused), await startCopy('B', slack, refused)];
    try {
      await both([a, b]);
      expect(slack.posts().map((p) => p.message.report.title)).toEqual(['Critical: Target not answering on app']);
      expect(slack.posts()[0]!.message.report.summary).toMatch(
        /^pgmedic cannot reach the database: .*nothing accepts connections at its address/,
      );
      // It answers for a moment (a look that sees nothing wrong), then stops again within the cooldown.
      const deps = { db: a.state, poster: slack.posterFor('A'), log: recordingLog(), settings: SETTINGS };
      expect(
        await reconcile(deps, { target: 'app', observedAt: new Date(), observations: [], failedChecks: [] }),
      ).toMatchObject({ resolved: ['target:unreachable'] });
      await both([a, b]);
      expect(slack.posts()).toHaveLength(2); // the alert and its resolution reply; the return is an edit
      expect(slack.updates().at(-1)!).toMatchObject({
        ts: slack.posts()[0]!.ts,
        message: { report: { status: 'crit' } },
      });
      expect(slack.updates().at(-1)!.message.report.summary).toMatch(/came back 1×/);
      expect((await listAlerts(a.state, 'app')).filter((r) => r.key === 'target:unreachable')).toEqual([
        expect.objectContaining({
          key: 'target:unreachable',
          status: 'firing',
          flaps: 1,
          messageTs: slack.posts()[0]!.ts,
        }),
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  it('runs on its timer inside two schedulers and still posts once', async () => {
    const slack = recordingSlack();
    const chain = await createBlockingChain(chainUrl, 'timer_accounts');
    const copies = await Promise.all(
      ['A', 'B'].map(async (name) => {
        const state = createStatePool(server.url('state'));
        await migrateStateDatabase(state);
        const targets = targetsOf([{ name: 'timed', url: server.url('app'), thresholds: THRESHOLDS }]);
        const scheduler = createScheduler({
          statePool: state,
          targets,
          poster: slack.posterFor(name),
          log: recordingLog(),
          schedule: { digests: [], alerts: alertsSchema.parse({ channel: 'C0ALERTS' }) },
          alertIntervalMs: 250,
        });
        await scheduler.start();
        const close = async () => {
          await scheduler.stop();
          await targets.closeAll();
          await state.end();
        };
        return { scheduler, close };
      }),
    );
    try {
      await waitFor(async () => slack.updates().length >= 2, 'the alert to be raised and updated', 15_000);
      const raised = slack.posts();
      expect(raised).toHaveLength(1);
      expect(raised[0]!.message.target).toBe('timed');
    } finally {
      await chain.release();
      await chain.close();
      await Promise.all(copies.map((c) => c.close()));
    }
  }, 30_000);
});

describe('alert state', () => {
  it('never hands a second copy the row while the first copy’s post is in flight, however the wording changed', async () => {
    const state = createStatePool(server.url('state'));
    try {
      await migrateStateDatabase(state);
      const observation = (summary: string) => ({
        key: 'locks:root:42:in-flight',
        check: 'locks' as const,
        severity: 'warn' as const,
        title: 'Blocking chain',
        summary,
        report: null,
      });
      const t0 = new Date('2026-11-27T01:00:00Z');
      const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
      // Copy A inserted the row and is posting (no message ts yet).
      expect(
        await insertFiring(state, 'inflight', observation('waiting for 1s'), 'warn|waiting for 1s', t0, 'C0ALERTS'),
      ).toBeDefined();
      // Copy B looks a moment later and sees new wording: it must not get the row (it would post again).
      expect(
        await changeFiring(state, 'inflight', observation('waiting for 2s'), 'warn|waiting for 2s', later(1), 60),
      ).toBeUndefined();
      // A post that never got its ts for longer than retryPostSeconds is retried by whoever looks next.
      expect(
        await changeFiring(state, 'inflight', observation('waiting for 90s'), 'warn|waiting for 90s', later(90), 60),
      ).toMatchObject({ messageTs: null });
    } finally {
      await state.end();
    }
  });
});
