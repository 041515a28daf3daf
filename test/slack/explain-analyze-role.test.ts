import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/approval.js';
import { ACTION_ID_PREFIX } from '../../src/slack/blocks/report.js';
import { connect } from '../support/clients.js';
import {
  idleInTransactionSession,
  sessionAlive,
  type HealingServer,
  transactionControlSent,
} from '../support/healing.js';
import { eventually } from '../support/slack/bot.js';
import type { HealingBot } from '../support/slack/healing-bot.js';
import { startHealingWorld, type HealingWorld } from '../support/slack/healing-world.js';
import type { SlackStandIn } from '../support/slack/standin.js';
import { buttonsOf, postsOf } from '../support/slack/buttons.js';

/**
 * EXPLAIN ANALYZE runs the SELECT, and the parser's deny-list cannot see inside a function. A READ ONLY transaction
 * does not stop pg_terminate_backend, so the SELECT must run as the read-only monitoring role (as `/pg explain`
 * plans it), never as the action role, which may signal the app's sessions. The attack goes the whole way: the
 * explain report's button, the card, an approver's Approve, and PostgreSQL's word on the victim.
 */

let env: HealingServer;
let standIn: SlackStandIn;
let bot: HealingBot;
let world: HealingWorld;

beforeAll(async () => {
  world = await startHealingWorld({
    arrange: async (env) => {
      const admin = await connect(env.adminUrl, 'scenario-setup');
      // The superuser's helper, SECURITY INVOKER (the default): it runs with the rights of whoever calls it.
      await admin.query(`CREATE FUNCTION tidy_sessions(victim int) RETURNS boolean LANGUAGE plpgsql VOLATILE
        AS $$ BEGIN RETURN pg_terminate_backend(victim); END $$`);
      await admin.end();
    },
  });
  ({ env, standIn, bot } = world);
});
afterAll(() => world?.stop());
afterEach(() => {
  expect(standIn.state.problems).toEqual([]);
});

const { posts, newPost } = postsOf(() => standIn);

describe('explain-analyze runs as the monitoring role, through Slack, against a real PostgreSQL 18', () => {
  it('a function that terminates another session fails with permission denied; the victim lives, all audited', async () => {
    const victim = await idleInTransactionSession(env.appUrl, 'victim');
    try {
      const before = posts().length;
      await bot.send.command({ text: `explain SELECT tidy_sessions(${victim.pid})`, user: 'UALICE' });
      const report = await eventually(newPost(before, 'Explain typed SELECT'), 'the explain report');
      const button = buttonsOf(report.blocks).find((b) =>
        b.action_id.startsWith(`${ACTION_ID_PREFIX}explain-analyze:`),
      );
      expect(button, 'the Explain ANALYZE button (the deny-list cannot see inside the function)').toBeDefined();

      const cards = posts().length;
      await bot.send.click(button!.action_id, button!.value, { user: 'UALICE', messageTs: report.ts });
      const card = await eventually(newPost(cards, 'Approval needed'), 'the approval card');
      const approve = buttonsOf(card.blocks).find((b) => b.action_id === APPROVE_ACTION_ID)!;
      await bot.send.click(APPROVE_ACTION_ID, approve.value, { user: 'UBOB', messageTs: card.ts });
      const update = await eventually(
        () =>
          standIn
            .callsTo('chat.update')
            .find((c) => c.args.ts === card.ts && JSON.stringify(c.args.blocks).includes(':x: Failed')),
        'the card with the failure',
        30_000,
      );

      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
      const shown = JSON.stringify(update.args.blocks);
      expect(shown).toContain('permission denied to terminate process');
      expect(shown).toContain("It ran as the target's monitoring role (its url, as /pg explain does)");
      expect(shown).toContain('SQLSTATE 42501');

      const trail = await bot.statePool.query<{ event: string; actor: string; details: Record<string, unknown> }>(
        'SELECT event, actor, details FROM pgmedic.audit_log WHERE request_id = $1 ORDER BY id',
        [approve.value],
      );
      expect(trail.rows.map((r) => [r.event, r.actor])).toEqual([
        ['requested', 'UALICE'],
        ['approved', 'UBOB'],
        ['execution_started', 'UBOB'],
        ['execution_failed', 'UBOB'],
      ]);
      expect(trail.rows[3]!.details).toMatchObject({
        status: 'failed',
        error: { code: '42501', message: 'permission denied to terminate process' },
      });
      // PostgreSQL's own record: the read-only transaction was the monitoring role's, rolled back; the action role sent nothing.
      expect(await transactionControlSent(env.adminUrl)).toEqual([
        { role: 'monitor', query: 'BEGIN READ ONLY' },
        { role: 'monitor', query: 'ROLLBACK' },
      ]);
    } finally {
      await victim.client.end().catch(() => undefined);
    }
  });
});
