import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { connect } from '../support/clients.js';
import { type HealingServer } from '../support/healing.js';
import { type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';
import { eventually } from '../support/slack/bot.js';
import { startHealingBot, type HealingBot } from '../support/slack/healing-bot.js';
import { startHealingWorld, type HealingWorld } from '../support/slack/healing-world.js';
import type { SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let bot: HealingBot;

let world: HealingWorld;

beforeAll(async () => {
  world = await startHealingWorld({ bot: { env: { PGMEDIC_OPS_CACHE_SECONDS: '0' } } });
  ({ server, env, standIn, bot } = world);
});
afterAll(() => world?.stop());

const get = async (path: string) => {
  const response = await fetch(`${bot.url}${path}`);
  return { status: response.status, text: await response.text() };
};
/** One sample's value from the Prometheus text, e.g. sample(text, 'pgmedic_commands_total', { command: 'locks' }). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').pop()) : undefined;
}

describe('/metrics and /readyz on the bot, against a real PostgreSQL 18 and state database', () => {
  it('counts commands by name and status, reads approval requests from the state database, shows pool usage', async () => {
    const chain = await createBlockingChain(env.appUrl);
    try {
      const locksRuns = (text: string) =>
        ['ok', 'warn', 'crit'].reduce(
          (sum, s) => sum + (sample(text, 'pgmedic_commands_total', { command: 'locks', status: s }) ?? 0),
          0,
        );
      const before = locksRuns((await get('/metrics')).text);
      await bot.send.command({ text: 'locks' });
      await eventually(
        () => standIn.state.messages.find((m) => (m.text ?? '').startsWith('Locks')),
        'the locks report',
      );
      await bot.send.command({ text: `terminate ${chain.rootPid}`, user: 'UALICE' });
      await eventually(
        () => standIn.state.messages.find((m) => JSON.stringify(m.blocks ?? []).includes('Approval needed')),
        'the approval card',
      );

      const { status, text } = await get('/metrics');
      expect(status).toBe(200);
      // Whatever status the chain earns (its wait may cross the warn threshold), the run was counted once.
      expect(locksRuns(text) - before).toBe(1);
      expect(text).toContain('pgmedic_command_duration_seconds_bucket{le="10",command="locks"}');
      const truth = await bot.statePool.query<{ count: number }>(
        "SELECT count(*)::int AS count FROM pgmedic.approval_requests WHERE status = 'pending'",
      );
      expect(sample(text, 'pgmedic_approval_requests', { status: 'pending' })).toBe(truth.rows[0]!.count);
      expect(text).toMatch(/^pgmedic_state_database_up 1$/m);
      expect(sample(text, 'pgmedic_pool_connections', { pool: 'prod', state: 'total' })).toBeGreaterThanOrEqual(1);
      expect(text).toContain('pgmedic_process_resident_memory_bytes');
    } finally {
      await chain.release();
      await chain.close();
    }
  });

  it('readiness follows the state database: 200 while it answers, 503 with the reason while it refuses connections', async () => {
    expect(await get('/readyz')).toEqual({
      status: 200,
      text: JSON.stringify({ ready: true, checks: { stateDatabase: 'ok' } }),
    });
    const admin = await connect(server.url());
    try {
      await admin.query('ALTER DATABASE pgmedic_state ALLOW_CONNECTIONS false');
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'pgmedic_state' AND pid <> pg_backend_pid()",
      );
      // The first check may meet a pooled connection that was just terminated; the next ones get PostgreSQL's refusal.
      const logged = () =>
        JSON.stringify(bot.logs.filter((l) => l.msg === 'readiness: the state database does not answer'));
      let refused = await get('/readyz');
      expect(refused.status).toBe(503);
      for (let i = 0; i < 5 && !logged().includes('not currently accepting connections'); i++)
        refused = await get('/readyz');
      // The answer names no database, host or role; the reason is in the log.
      expect(JSON.parse(refused.text)).toEqual({ ready: false, checks: { stateDatabase: 'error' } });
      expect(logged()).toContain('database \\"pgmedic_state\\" is not currently accepting connections');
      expect(await get('/healthz')).toMatchObject({ status: 200 });
    } finally {
      await admin.query('ALTER DATABASE pgmedic_state ALLOW_CONNECTIONS true');
      await admin.end();
    }
    expect((await get('/readyz')).status).toBe(200);
  });
});

describe('/metrics and /readyz behind PGMEDIC_OPS_TOKEN, cached', () => {
  it('refuses a missing or wrong bearer token, answers the right one, and serves scrapes from its cache', async () => {
    const token = 'ops-token-0123456789abcdef';
    const guarded = await startHealingBot(
      standIn,
      { targets: [targetSchema.parse({ name: 'prod', url: env.monitorUrl })], defaultTarget: 'prod' },
      env.stateUrl,
      {},
      200,
      { env: { PGMEDIC_OPS_TOKEN: token, PGMEDIC_OPS_CACHE_SECONDS: '60' } },
    );
    const admin = await connect(server.url());
    try {
      const fetchWith = async (path: string, authorization?: string) => {
        const response = await fetch(`${guarded.url}${path}`, { headers: authorization ? { authorization } : {} });
        return { status: response.status, text: await response.text() };
      };
      const refusals = [
        await fetchWith('/metrics'),
        await fetchWith('/readyz'),
        await fetchWith('/metrics', 'Bearer wrong-token-0123456789'),
        await fetchWith('/readyz', token),
        await fetchWith('/metrics', `Basic ${token}`),
      ];
      expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
      expect(refusals.map((r) => r.text).join('')).not.toContain('pgmedic_');
      expect((await fetchWith('/healthz')).status).toBe(200);
      const metrics = await fetchWith('/metrics', `Bearer ${token}`);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('pgmedic_commands_total');
      expect(await fetchWith('/readyz', `Bearer ${token}`)).toEqual({
        status: 200,
        text: JSON.stringify({ ready: true, checks: { stateDatabase: 'ok' } }),
      });
      // Within the cache window the state database is not asked again: its refusal does not show yet.
      await admin.query('ALTER DATABASE pgmedic_state ALLOW_CONNECTIONS false');
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'pgmedic_state' AND pid <> pg_backend_pid()",
      );
      expect((await fetchWith('/readyz', `Bearer ${token}`)).status).toBe(200);
    } finally {
      await admin.query('ALTER DATABASE pgmedic_state ALLOW_CONNECTIONS true');
      await admin.end();
      await guarded.stop();
    }
  });
});
