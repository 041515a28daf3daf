import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { connect, waitFor } from '../support/clients.js';
import { type HealingServer } from '../support/healing.js';
import { eventually } from '../support/slack/bot.js';
import { type HealingBot } from '../support/slack/healing-bot.js';
import { startHealingWorld, type HealingWorld } from '../support/slack/healing-world.js';
import type { SlackStandIn } from '../support/slack/standin.js';

let env: HealingServer;
let standIn: SlackStandIn;
let bot: HealingBot;

let world: HealingWorld;

beforeAll(async () => {
  world = await startHealingWorld();
  ({ env, standIn, bot } = world);
});
afterAll(() => world?.stop());

/** Another session holds ACCESS EXCLUSIVE on every table of the state database until `release`. */
async function lockEveryStateTable(): Promise<{ tables: string[]; release(): Promise<void> }> {
  const locker: pg.Client = await connect(env.stateUrl, 'state-locker');
  const { rows } = await locker.query<{ name: string }>(
    "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'pgmedic' ORDER BY 1",
  );
  await locker.query('BEGIN');
  await locker.query(`LOCK TABLE ${rows.map((r) => r.name).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  return {
    tables: rows.map((r) => r.name),
    release: async () => void (await locker.query('ROLLBACK').finally(() => locker.end())),
  };
}

const answerTo = (responseUrl: string) => () => {
  const id = standIn.state.responseUrls.get(responseUrl.split('/').pop()!)?.originalId;
  const note = standIn.state.messages.find((m) => m.id === id);
  return note?.history.length ? note : undefined;
};

describe('the ack never waits on the state database', () => {
  it('every state table locked by another session: /pg health is acked, answered, and a retry is still dropped; readiness says the state database is stuck', async () => {
    const lock = await lockEveryStateTable();
    try {
      expect(lock.tables).toEqual(
        expect.arrayContaining(['pgmedic.approval_requests', 'pgmedic.audit_log', 'pgmedic.slack_deliveries']),
      );
      const replies = [];
      for (let i = 0; i < 5; i++) {
        const reply = await bot.send.command({ text: 'health --private', user: 'UALICE' });
        expect(reply.status).toBe(200);
        expect(reply.ack?.text).toContain('Running `health`');
        replies.push(reply);
      }
      for (const reply of replies) {
        const answer = await eventually(answerTo(reply.responseUrl), 'the health report', 30_000);
        expect(answer.text).toMatch(/^Health: OK: primary on PostgreSQL 18/);
      }
      // A retried delivery of the same trigger reaches this copy: memory still drops it, and it gets an empty ack.
      const retry = await bot.send.command({
        text: 'health --private',
        user: 'UALICE',
        triggerId: 'trigger-locked-retry',
      });
      const again = await bot.send.command({
        text: 'health --private',
        user: 'UALICE',
        triggerId: 'trigger-locked-retry',
        retryNum: 1,
      });
      expect([retry.status, again.status]).toEqual([200, 200]);
      expect(again.ack).toBeUndefined();
      const fallbackLines = bot.logs.filter((l) => String(l.msg).includes('deduplicating Slack deliveries in memory'));
      expect(fallbackLines.length).toBeGreaterThanOrEqual(1);
      expect(bot.logs.filter((l) => String(l.msg).includes('dropped a repeated delivery'))).toHaveLength(1);

      const ready = await fetch(`${bot.url}/readyz`);
      expect(ready.status).toBe(503);
      // The answer names no host, role or cause (the log has why); it only says the state database is not serving.
      expect(await ready.json()).toEqual({ ready: false, checks: { stateDatabase: 'error' } });
    } finally {
      await lock.release();
    }
    await waitFor(async () => (await fetch(`${bot.url}/readyz`)).status === 200, 'readiness to come back');
  }, 60_000);
});
