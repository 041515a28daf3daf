import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listCommands } from '../../src/engine/registry.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/approval.js';
import { ACTION_ID_PREFIX } from '../../src/slack/blocks/report.js';
import { connect, waitFor } from '../support/clients.js';
import { sessionAlive, type HealingServer } from '../support/healing.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';
import { createMaintenanceTargets } from '../support/scenarios/maintenance-targets.js';
import { eventually } from '../support/slack/bot.js';
import type { HealingBot } from '../support/slack/healing-bot.js';
import { startHealingWorld, type HealingWorld } from '../support/slack/healing-world.js';
import type { SlackStandIn } from '../support/slack/standin.js';
import { buttonsOf, postsOf } from '../support/slack/buttons.js';

/**
 * Every action kind the code registers is offered by some report, and its offered button works end to end:
 * the real condition, the report over signed Slack requests, the click, the approval card, an approver's
 * Approve, and the effect seen in PostgreSQL itself. A new action kind without a scenario here fails.
 */

let env: HealingServer;
let standIn: SlackStandIn;
let bot: HealingBot;

let world: HealingWorld;

beforeAll(async () => {
  world = await startHealingWorld({ arrange: (env) => createMaintenanceTargets(env.appUrl) });
  ({ env, standIn, bot } = world);
});
afterAll(() => world?.stop());
afterEach(() => {
  expect(standIn.state.problems).toEqual([]);
});

async function truth<Row extends object>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const c = await connect(env.adminUrl, 'ground-truth');
  try {
    return (await c.query<Row>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** A condition that makes a report offer one action kind, and how to see that the action took effect. */
interface Arranged {
  /** What the offered button's label must contain (the pid, the table or index name). */
  label: string;
  effect(): Promise<void>;
  cleanup?(): Promise<void>;
}
interface OfferScenario {
  /** The `/pg` text of the report that offers it. */
  report: string;
  title: string;
  arrange(): Promise<Arranged>;
}

const SCENARIOS: Record<string, OfferScenario> = {
  terminate: {
    report: 'locks',
    title: 'Locks',
    async arrange() {
      const chain = await createBlockingChain(env.appUrl, 'offer_accounts');
      const [root] = await truth<{ start: string }>(
        'SELECT backend_start::text AS start FROM pg_stat_activity WHERE pid = $1',
        [chain.rootPid],
      );
      return {
        label: `Terminate ${chain.rootPid}`,
        effect: async () => expect(await sessionAlive(env.adminUrl, chain.rootPid, root!.start)).toBe(false),
        cleanup: async () => {
          await chain.release();
          await chain.close();
        },
      };
    },
  },
  cancel: {
    report: 'connections --min-runtime 1s',
    title: 'Connections',
    async arrange() {
      const sleeper = await connect(env.appUrl, 'offer-sleeper');
      const pid = (await sleeper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const [start] = await truth<{ start: string }>(
        'SELECT backend_start::text AS start FROM pg_stat_activity WHERE pid = $1',
        [pid],
      );
      const sleeping = sleeper.query('SELECT pg_sleep(600)').then(
        () => null,
        (error: { code?: string }) => error.code ?? 'error',
      );
      await waitFor(
        async () =>
          (
            await truth(
              "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND now() - query_start > interval '1.5 s'",
              [pid],
            )
          ).length,
        'the query to run for a while',
      );
      return {
        label: `Cancel query of ${pid}`,
        async effect() {
          expect(await sleeping).toBe('57014'); // query_canceled
          expect(await sessionAlive(env.adminUrl, pid, start!.start)).toBe(true); // the session stays
        },
        cleanup: () => sleeper.end(),
      };
    },
  },
  'vacuum-table': {
    report: 'vacuum',
    title: 'Vacuum',
    async arrange() {
      return { label: 'VACUUM starved', effect: () => statsShow('starved', 'last_vacuum') };
    },
  },
  analyze: {
    report: 'vacuum',
    title: 'Vacuum',
    async arrange() {
      const setup = await connect(env.appUrl, 'scenario-setup');
      await setup.query(
        'CREATE TABLE never_analyzed (id int) WITH (autovacuum_enabled = false); INSERT INTO never_analyzed SELECT generate_series(1, 500)',
      );
      await setup.query('SELECT pg_stat_force_next_flush()');
      await setup.end();
      await waitFor(
        async () =>
          (await truth("SELECT 1 FROM pg_stat_user_tables WHERE relname = 'never_analyzed' AND n_live_tup >= 500"))
            .length,
        'the rows in the statistics',
      );
      return { label: 'ANALYZE never_analyzed', effect: () => statsShow('never_analyzed', 'last_analyze') };
    },
  },
  reindex: {
    report: 'indexes',
    title: 'Indexes',
    async arrange() {
      const before = await indexState('items_b_unique');
      expect(before.valid).toBe(false);
      return {
        label: 'Rebuild items_b_unique',
        async effect() {
          const after = await indexState('items_b_unique');
          expect(after.valid).toBe(true);
          expect(after.filenode).not.toBe(before.filenode);
        },
      };
    },
  },
  'drop-index': {
    report: 'indexes',
    title: 'Indexes',
    async arrange() {
      return {
        label: 'Drop items_a_dup',
        async effect() {
          expect(await truth("SELECT relname FROM pg_class WHERE relname IN ('items_a', 'items_a_dup')")).toEqual([
            { relname: 'items_a' },
          ]);
        },
      };
    },
  },
  'explain-analyze': {
    report: 'explain SELECT count(*) FROM items WHERE a = 7',
    title: 'Explain typed SELECT',
    async arrange() {
      const [{ n }] = (await truth<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE a = 7')) as [
        { n: number },
      ];
      return {
        label: 'Explain ANALYZE',
        async effect() {
          // The plan with actual rows and timing, posted in the approval card's thread (just after the card's update).
          const card = [...posts()].reverse().find((m) => JSON.stringify(m.blocks).includes('explain-analyze'));
          const plan = await eventually(
            () => posts().find((m) => m.threadTs === card?.ts && JSON.stringify(m.blocks).includes('actual time=')),
            'the plan in the thread',
          );
          const text = JSON.stringify(plan?.blocks);
          expect(text).toContain('EXPLAIN ANALYZE: actual rows and timing (READ ONLY transaction, rolled back)');
          expect(text).toMatch(/Aggregate {2}\(cost=[0-9.]+ rows=1 width=8\) \(actual time=[0-9.]+ rows=1 loops=1\)/);
          expect(text).toContain(`rows=${n} loops=1)`);
        },
      };
    },
  },
};

async function statsShow(table: string, column: 'last_vacuum' | 'last_analyze'): Promise<void> {
  await waitFor(
    async () =>
      (await truth(`SELECT 1 FROM pg_stat_user_tables WHERE relname = $1 AND ${column} IS NOT NULL`, [table])).length,
    `${column} of ${table}`,
  );
}

async function indexState(name: string): Promise<{ valid: boolean; filenode: string }> {
  const [row] = await truth<{ valid: boolean; filenode: string }>(
    'SELECT i.indisvalid AS valid, pg_relation_filenode(i.indexrelid)::text AS filenode FROM pg_index i WHERE i.indexrelid = to_regclass($1)',
    [name],
  );
  return row!;
}

const { posts, newPost } = postsOf(() => standIn);
/** The card's outcome update (the "approved, running" update comes first). */
const updateOf = (ts: string) => () =>
  standIn
    .callsTo('chat.update')
    .find((c) => c.args.ts === ts && !JSON.stringify(c.args.blocks).includes(':gear: Approved, running'));

const ACTION_KINDS = listCommands('action').map((c) => c.name);

describe('every offered action works, through Slack, against a real PostgreSQL 18', () => {
  it('has a scenario for every registered action kind', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...ACTION_KINDS].sort());
  });

  it('offers no button on a superuser root blocker; the report says why instead', async () => {
    const chain = await createBlockingChain(env.adminUrl, 'superuser_accounts');
    try {
      const before = posts().length;
      await bot.send.command({ text: 'locks', user: 'UALICE' });
      const report = await eventually(newPost(before, 'Locks'), 'the locks report');
      expect(buttonsOf(report.blocks).filter((b) => b.action_id.startsWith(ACTION_ID_PREFIX))).toEqual([]);
      expect(JSON.stringify(report.blocks)).toContain(
        `No button for ${chain.rootPid}: superuser session; pgmedic never signals superuser sessions.`,
      );
    } finally {
      await chain.release();
      await chain.close();
    }
  });

  for (const kind of ACTION_KINDS) {
    it(`${kind}: the report offers it, the click asks for approval, an approver approves, PostgreSQL shows the effect`, async () => {
      const scenario = SCENARIOS[kind];
      if (!scenario)
        throw new Error(`No report offers "${kind}" in this test: add a scenario that creates its condition.`);
      const arranged = await scenario.arrange();
      try {
        const before = posts().length;
        await bot.send.command({ text: scenario.report, user: 'UALICE' });
        const report = await eventually(newPost(before, scenario.title), `the ${scenario.report} report`);
        const offered = buttonsOf(report.blocks).filter((b) => b.action_id.startsWith(`${ACTION_ID_PREFIX}${kind}:`));
        const button = offered.find((b) => b.text.text.includes(arranged.label));
        expect(
          button,
          `a ${kind} button labelled "${arranged.label}" among ${JSON.stringify(offered.map((b) => b.text.text))}`,
        ).toBeDefined();

        const [cards, seen] = [posts().length, standIn.state.messages.length];
        await bot.send.click(button!.action_id, button!.value, { user: 'UALICE', messageTs: report.ts });
        // The card, or the reply that says why there is none (shown in the failure instead of a timeout).
        const replyToClick = () => standIn.state.messages.slice(seen).find((m) => m.ephemeral && m.user === 'UALICE');
        const outcome = await eventually(
          () => newPost(cards, 'Approval needed')() ?? replyToClick(),
          'the approval card',
        );
        expect(outcome.ephemeral ? outcome.text : 'an approval card').toBe('an approval card');
        const card = outcome;
        const approve = buttonsOf(card.blocks).find((b) => b.action_id === APPROVE_ACTION_ID)!;
        await bot.send.click(APPROVE_ACTION_ID, approve.value, { user: 'UBOB', messageTs: card.ts });
        const update = await eventually(updateOf(card.ts), 'the card with the outcome', 30_000);
        expect(JSON.stringify(update.args.blocks)).toContain(':white_check_mark: Done');
        await arranged.effect();

        const trail = await bot.statePool.query<{ event: string; actor: string }>(
          'SELECT event, actor FROM pgmedic.audit_log WHERE request_id = $1 ORDER BY id',
          [approve.value],
        );
        expect(trail.rows).toEqual([
          { event: 'requested', actor: 'UALICE' },
          { event: 'approved', actor: 'UBOB' },
          { event: 'execution_started', actor: 'UBOB' },
          { event: 'executed', actor: 'UBOB' },
        ]);
      } finally {
        await arranged.cleanup?.();
      }
    });
  }
});
