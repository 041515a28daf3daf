import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { discoveredTargets } from '../../src/db/discover.js';
import { createTargets, type Target } from '../../src/db/targets.js';
import { groupByServer } from '../../src/schedule/alerts/server-groups.js';
import { createAlertWatch } from '../../src/schedule/alerts/watch.js';
import { createWorkShare } from '../../src/schedule/share.js';
import { listAlerts } from '../../src/state/alerts.js';
import { listLeases } from '../../src/state/leases.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, loginRole } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';
import { createDatabases, recordingLog, recordingSlack, targetsOf } from '../support/schedule.js';

/**
 * The alert checks read server-wide views: three databases of one server, watched as one role with one set of
 * thresholds, are one look per interval and one alert per problem, whichever database the problem is in.
 */
const THRESHOLDS = { lockWaitSeconds: { warn: 0, crit: 600 }, rootBlockerSessions: { warn: 2, crit: 50 } };
const SETTINGS = { channel: 'C0ALERTS', cooldownSeconds: 600, resolveAfterSeconds: 0, retryPostSeconds: 60 };
const DATABASES = ['g1', 'g2', 'g3'];

let server: TestServer;
let admin: pg.Client;
let state: pg.Pool;
let chainUrl: string;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, [...DATABASES, 'gstate']);
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  chainUrl = await loginRole(server.url('g3'), 'grouped_chainer');
  state = createStatePool(server.url('gstate'));
  await migrateStateDatabase(state);
}, 60_000);

afterAll(async () => {
  await state?.end();
  await admin?.end();
  await server?.stop();
});

/** Looks per database since the last reset, from pg_stat_statements: the health check's overview runs once per look. */
async function looksPerDatabase(): Promise<Record<string, number>> {
  const { rows } = await admin.query<{ datname: string; calls: number }>(
    `SELECT d.datname, sum(s.calls)::int AS calls
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE s.query LIKE '%sum(blks_hit)%' AND s.query LIKE '%pg_postmaster_start_time()%'
      GROUP BY d.datname`,
  );
  return Object.fromEntries(rows.map((r) => [r.datname, r.calls]));
}

const named = (targets: { get(name: string): Target }, names: string[]) => names.map((n) => targets.get(n));

describe('databases of one server', () => {
  it('are looked at once per interval through the first, raise one alert for a chain in any of them, and a target that joins a group has its own alerts closed with a note', async () => {
    const slack = recordingSlack();
    const log = recordingLog();
    const same = DATABASES.map((db) => ({ name: `srv-${db}`, url: server.url(db), thresholds: THRESHOLDS }));
    const apart = targetsOf([
      same[0]!,
      same[1]!,
      { ...same[2]!, thresholds: { ...THRESHOLDS, xidAge: { warn: 1e9, crit: 1.5e9 } } },
    ]);
    const together = targetsOf(same);
    let current = named(
      apart,
      same.map((t) => t.name),
    );
    const watch = createAlertWatch({
      db: state,
      poster: slack.posterFor('A'),
      log,
      settings: SETTINGS,
      targets: () => current,
      intervalMs: 2_000,
      fireAt: 'warn',
      share: createWorkShare({ db: state, work: 'alerts', copyId: 'A', intervalMs: 2_000, settleMs: 0 }),
    });
    const chain = await createBlockingChain(chainUrl);
    try {
      // Different thresholds on srv-g3: two groups, two looks, the chain (in g3) raised on srv-g1 and on srv-g3.
      await admin.query('SELECT pg_stat_statements_reset()');
      await watch.checkOnce();
      expect(await looksPerDatabase()).toEqual({ g1: 1, g3: 1 });
      expect(watch.leadOf('srv-g2')).toBe('srv-g1');
      expect(watch.leadOf('srv-g3')).toBe('srv-g3');
      const firstPosts = slack.posts();
      expect(firstPosts.map((p) => p.message.target).sort()).toEqual(['srv-g1', 'srv-g3']);
      const onLead = firstPosts.find((p) => p.message.target === 'srv-g1')!;
      expect(onLead.message.report.summary).toContain(`Session ${chain.rootPid}`);
      expect(onLead.message.context).toContain('server-wide, for srv-g1 and 1 other database of its server');

      // A reload makes srv-g3's settings equal: one group, one look (through srv-g1), srv-g3's own alert closed.
      current = named(
        together,
        same.map((t) => t.name),
      );
      await new Promise((r) => setTimeout(r, 1_100)); // a look per target at most every half interval
      await admin.query('SELECT pg_stat_statements_reset()');
      await watch.checkOnce();
      expect(await looksPerDatabase()).toEqual({ g1: 1 });
      expect(watch.leadOf('srv-g3')).toBe('srv-g1');
      const g3 = await listAlerts(state, 'srv-g3');
      expect(g3.length).toBeGreaterThan(0);
      expect(g3.every((a) => a.status === 'resolved')).toBe(true);
      const closedNote = slack
        .updates()
        .find((u) => u.ts === firstPosts.find((p) => p.message.target === 'srv-g3')!.ts);
      expect(closedNote!.message.text).toContain('closed, now watched with srv-g1');
      expect((await listAlerts(state, 'srv-g1')).filter((a) => a.status === 'firing')).toHaveLength(1);
      expect((await listLeases(state, 'alerts')).map((l) => l.target)).toEqual(['srv-g1']);
      expect(slack.posts().filter((p) => p.message.target === 'srv-g1' && !p.message.threadTs)).toHaveLength(1);
    } finally {
      await chain.release();
      await chain.close();
      await watch.stop();
      await apart.closeAll();
      await together.closeAll();
    }
  }, 90_000);
});

describe('which targets one look stands for', () => {
  const url = (db: string, user = 'watcher', port = 5432) => `postgres://${user}:pw@db.internal:${port}/${db}`;
  const groupsOf = (list: Parameters<typeof targetsOf>[0]) => {
    const targets = targetsOf(list);
    return groupByServer(list.map((t) => targets.get(t.name))).map((g) => g.members.map((m) => m.name));
  };

  it('groups the databases a discovery found with their entry, the entry first', () => {
    const entry = targetSchema.parse({ name: 'main', url: url('app'), discover: 'all-databases', exclude: ['tmp_*'] });
    const found = discoveredTargets(entry, [
      { oid: 1, name: 'orders' },
      { oid: 2, name: 'billing' },
    ]);
    const targets = createTargets({ targets: [entry, ...found], defaultTarget: 'main' });
    const groups = groupByServer(targets.names().map((n) => targets.get(n)));
    expect(groups.map((g) => g.members.map((m) => m.name))).toEqual([['main', 'main/orders', 'main/billing']]);
  });

  it('keeps apart another role, another port, another action role, other thresholds or other channels', () => {
    expect(
      groupsOf([
        { name: 'a', url: url('a') },
        { name: 'b', url: url('b', 'other') },
        { name: 'c', url: url('c', 'watcher', 5433) },
        { name: 'd', url: url('d'), actionUrl: url('d', 'healer') },
        { name: 'e', url: url('e'), thresholds: { lockWaitSeconds: { warn: 1, crit: 2 } } },
        { name: 'f', url: url('f'), channels: ['C0INCIDENT'] },
        { name: 'g', url: url('g') },
      ]),
    ).toEqual([['a', 'g'], ['b'], ['c'], ['d'], ['e'], ['f']]);
  });
});
