import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexFindings } from '../../actions/pinned-index.js';
import { findCommand } from '../../src/engine/registry.js';
import { runOnActionConnection } from '../../src/heal/execute.js';
import { connect, waitFor } from '../support/clients.js';
import { prepareHealingServer, startInstance, type HealingInstance, type HealingServer } from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createMaintenanceTargets } from '../support/scenarios/maintenance-targets.js';

let server: TestServer;
let env: HealingServer;
let bot: HealingInstance;

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  await createMaintenanceTargets(env.appUrl);
  bot = await startInstance(env);
});
afterAll(async () => {
  await bot?.close();
  await server?.stop();
});

async function truth<Row extends object>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const c = await connect(env.adminUrl, 'ground-truth');
  try {
    return (await c.query<Row>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function requestAndApprove(action: string, name: string) {
  const asked = await bot.healing.requestAction({ action, tokens: [name], requestedBy: 'U_ALICE', channel: 'C_DBA' });
  expect(asked.notice.kind).toBe('requested');
  const done = await bot.healing.approve({ requestId: asked.request!.id, userId: 'U_BOB' });
  return { asked: asked.request!, done: done.request! };
}

describe('maintenance actions on real relations', () => {
  it('drops a duplicate index concurrently and keeps its definition in the request and the audit', async () => {
    const def = (await truth<{ def: string }>("SELECT pg_get_indexdef('items_a_dup'::regclass) AS def"))[0]!.def;
    const { asked, done } = await requestAndApprove('drop-index', 'items_a_dup');
    expect(asked.statement).toBe('DROP INDEX CONCURRENTLY "public"."items_a_dup"');
    expect(asked.params.definition).toBe(def);
    expect((asked.details.findings as IndexFindings).index).toMatchObject({
      index: 'items_a_dup',
      table: 'public.items',
      definition: def,
    });
    expect(done).toMatchObject({
      status: 'succeeded',
      outcome: { ok: true, summary: `Index items_a_dup was dropped. To recreate it: ${def};` },
    });
    expect(await truth("SELECT 1 FROM pg_class WHERE relname = 'items_a_dup'")).toEqual([]);
    const trail = await bot.healing.requestAudit(asked.id);
    expect(trail.map((e) => e.event)).toEqual(['requested', 'approved', 'execution_started', 'executed']);
    expect((trail[0]!.details as { params: { definition: string } }).params.definition).toBe(def);
    expect(JSON.stringify(trail[3]!.details)).toContain(def.replace(/"/g, '\\"'));
  });

  it('refuses to drop an index that enforces a constraint', async () => {
    const asked = await bot.healing.requestAction({
      action: 'drop-index',
      tokens: ['items_pkey'],
      requestedBy: 'U_ALICE',
    });
    expect(asked.notice).toMatchObject({
      kind: 'refused',
      reason: 'preview_refused',
      text: 'items_pkey enforces the primary key; dropping it would change what the table accepts.',
    });
    expect(await truth("SELECT 1 FROM pg_class WHERE relname = 'items_pkey'")).toHaveLength(1);
  });

  it('does not drop an index that was used after the request', async () => {
    const asked = await bot.healing.requestAction({
      action: 'drop-index',
      tokens: ['items_a'],
      requestedBy: 'U_ALICE',
    });
    const user = await connect(env.appUrl, 'app-user');
    await user.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
    await user.query('SELECT count(*) FROM items WHERE a = 7');
    await user.end();
    await waitFor(
      async () =>
        (
          await truth<{ s: number }>("SELECT idx_scan AS s FROM pg_stat_user_indexes WHERE indexrelname = 'items_a'")
        )[0]!.s > Number(asked.request!.params.scans),
      'the scan to be counted',
    );
    const done = await bot.healing.approve({ requestId: asked.request!.id, userId: 'U_BOB' });
    expect(done.request).toMatchObject({ status: 'target_changed' });
    expect(done.request!.outcome!.summary).toMatch(
      /^Index items_a has been used 1 time\(s\) since the request; it is no longer unused\. Nothing ran\.$/,
    );
    expect(await truth("SELECT 1 FROM pg_class WHERE relname = 'items_a'")).toHaveLength(1);
  });

  it('rebuilds an invalid index with REINDEX INDEX CONCURRENTLY', async () => {
    const [before] = await truth<{ oid: number; valid: boolean }>(
      "SELECT indexrelid::int AS oid, indisvalid AS valid FROM pg_index WHERE indexrelid = 'items_b_unique'::regclass",
    );
    expect(before!.valid).toBe(false);
    const { asked, done } = await requestAndApprove('reindex', 'public.items_b_unique');
    expect(asked.statement).toBe('REINDEX INDEX CONCURRENTLY "public"."items_b_unique"');
    expect(asked.params.definition).toBe('CREATE UNIQUE INDEX items_b_unique ON public.items USING btree (b)');
    expect(done.status).toBe('succeeded');
    const [after] = await truth<{ oid: number; valid: boolean }>(
      "SELECT indexrelid::int AS oid, indisvalid AS valid FROM pg_index WHERE indexrelid = 'items_b_unique'::regclass",
    );
    expect(after).toMatchObject({ valid: true });
    expect(after!.oid).not.toBe(before!.oid);
  });

  it('VACUUMs a vacuum-starved table: its dead rows are gone afterwards', async () => {
    const [before] = await truth<{ dead: number }>(
      "SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables WHERE relname = 'starved'",
    );
    expect(before!.dead).toBeGreaterThanOrEqual(12_000);
    const { asked, done } = await requestAndApprove('vacuum-table', 'starved');
    expect(asked.statement).toBe('VACUUM (ANALYZE) "public"."starved"');
    expect(done).toMatchObject({ status: 'succeeded', outcome: { summary: 'VACUUM (ANALYZE) of starved finished.' } });
    const [after] = await waitFor(async () => {
      const rows = await truth<{ dead: number; vacuumed: boolean }>(
        "SELECT n_dead_tup::int AS dead, last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables WHERE relname = 'starved'",
      );
      return rows[0]!.vacuumed && rows;
    }, 'the vacuum to be reported');
    expect(after!.dead).toBe(0);
  });

  it('ANALYZEs one table, and refuses a table that does not exist', async () => {
    const { done } = await requestAndApprove('analyze', 'items');
    expect(done.status).toBe('succeeded');
    const rows = await waitFor(async () => {
      const r = await truth<{ analyzed: boolean }>(
        "SELECT last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'items'",
      );
      return r[0]!.analyzed && r;
    }, 'the analyze to be reported');
    expect(rows).toEqual([{ analyzed: true }]);
    const missing = await bot.healing.requestAction({
      action: 'analyze',
      tokens: ['no_such_table'],
      requestedBy: 'U_ALICE',
    });
    expect(missing.notice.text).toBe('There is no table or materialized view named "no_such_table" in this database.');
  });

  it('records a failed statement as failed, with the SQLSTATE, when the table is locked', async () => {
    const holder = await connect(env.appUrl, 'migration');
    await holder.query('BEGIN; LOCK TABLE starved IN ACCESS EXCLUSIVE MODE');
    try {
      const asked = await bot.healing.requestAction({
        action: 'vacuum-table',
        tokens: ['starved'],
        requestedBy: 'U_ALICE',
      });
      expect((asked.request!.details.findings as { table: { totalBytes: number | null } }).table.totalBytes).toBeNull();
      const done = await bot.healing.approve({ requestId: asked.request!.id, userId: 'U_BOB' });
      expect(done.request).toMatchObject({ status: 'failed', outcome: { ok: false, error: { code: '55P03' } } });
      expect((await bot.healing.requestAudit(asked.request!.id)).map((e) => e.event)).toEqual([
        'requested',
        'approved',
        'execution_started',
        'execution_failed',
      ]);
    } finally {
      await holder.end();
    }
  });

  it('two exact duplicates: after one is dropped, the drop of the other is refused at re-verification (the last copy)', async () => {
    const setup = await connect(env.appUrl, 'scenario-setup');
    await setup.query(
      'CREATE TABLE twins (id int, code text); CREATE INDEX twins_code_one ON twins (code); CREATE INDEX twins_code_two ON twins (code)',
    );
    await setup.end();
    const first = await bot.healing.requestAction({
      action: 'drop-index',
      tokens: ['twins_code_one'],
      requestedBy: 'U_ALICE',
    });
    const second = await bot.healing.requestAction({
      action: 'drop-index',
      tokens: ['twins_code_two'],
      requestedBy: 'U_ALICE',
    });
    expect([first.notice.kind, second.notice.kind]).toEqual(['requested', 'requested']);
    expect((await bot.healing.approve({ requestId: first.request!.id, userId: 'U_BOB' })).request!.status).toBe(
      'succeeded',
    );
    const refused = await bot.healing.approve({ requestId: second.request!.id, userId: 'U_BOB' });
    expect(refused.request).toMatchObject({ status: 'target_changed', outcome: { ok: false } });
    expect(refused.request!.outcome!.summary).toBe(
      'Index twins_code_two is no longer a duplicate: the identical index(es) it had when requested are gone, so it is now the last copy. Nothing ran.',
    );
    expect(await truth("SELECT relname FROM pg_class WHERE relname LIKE 'twins_code_%'")).toEqual([
      { relname: 'twins_code_two' },
    ]);
    expect((await bot.healing.requestAudit(second.request!.id)).map((e) => e.event)).toEqual([
      'requested',
      'approved',
      'verification_failed',
    ]);
  });

  it('refuses as "target changed" a table or an index dropped and recreated under the same name after the request', async () => {
    const setup = await connect(env.appUrl, 'scenario-setup');
    await setup.query('CREATE TABLE swapped (id int); CREATE INDEX swapped_id ON swapped (id)');
    const table = await bot.healing.requestAction({
      action: 'vacuum-table',
      tokens: ['swapped'],
      requestedBy: 'U_ALICE',
    });
    const index = await bot.healing.requestAction({
      action: 'drop-index',
      tokens: ['swapped_id'],
      requestedBy: 'U_ALICE',
    });
    const pinned = { table: table.request!.params.oid!, index: index.request!.params.oid! };
    await setup.query('DROP TABLE swapped; CREATE TABLE swapped (id int); CREATE INDEX swapped_id ON swapped (id)');
    await setup.end();
    const [now] = await truth<{ table: string; index: string }>(
      "SELECT 'swapped'::regclass::oid::text AS table, 'swapped_id'::regclass::oid::text AS index",
    );
    for (const [request, kind, name] of [
      [table.request!, 'table', 'swapped'],
      [index.request!, 'index', 'swapped_id'],
    ] as const) {
      const done = await bot.healing.approve({ requestId: request.id, userId: 'U_BOB' });
      expect(done.request).toMatchObject({ status: 'target_changed' });
      expect(done.request!.outcome!.summary).toBe(
        `Target changed: ${kind} ${name} was dropped and recreated with the same name since the request (oid ${pinned[kind]} then, ${now![kind]} now). Nothing ran.`,
      );
      expect((await bot.healing.requestAudit(request.id)).map((e) => e.event)).toEqual([
        'requested',
        'approved',
        'verification_failed',
      ]);
    }
    expect(await truth("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'swapped'")).toEqual([
      { last_vacuum: null },
    ]);
    // A report's button carries the oid the report saw: clicked after the swap, it is refused before any request exists.
    for (const [action, params, kind, name] of [
      ['vacuum-table', { table: '"public"."swapped"', oid: pinned.table }, 'table', 'swapped'],
      ['drop-index', { index: '"public"."swapped_id"', oid: pinned.index }, 'index', 'swapped_id'],
    ] as const) {
      const clicked = await bot.healing.requestAction({ action, params, requestedBy: 'U_ALICE' });
      expect(clicked.notice).toMatchObject({ kind: 'refused', reason: 'preview_refused' });
      expect(clicked.notice.text).toContain(
        `Target changed: ${kind} ${name} is not the one the report showed; it was dropped and recreated since (oid ${pinned[kind]} in the report, ${now![kind]} now). Run the report again.`,
      );
    }
    expect(await truth("SELECT 1 AS present FROM pg_class WHERE relname = 'swapped_id'")).toEqual([{ present: 1 }]);
  });

  it('checks the pinned oid on the action connection itself, immediately before the statement', async () => {
    const setup = await connect(env.appUrl, 'scenario-setup');
    await setup.query('CREATE TABLE guarded (id int)');
    const [{ oid }] = (await setup.query<{ oid: string }>("SELECT 'guarded'::regclass::oid::text AS oid")).rows as [
      { oid: string },
    ];
    await setup.query('DROP TABLE guarded; CREATE TABLE guarded (id int)');
    await setup.end();
    const spec = findCommand('vacuum-table').action!;
    const params = { oid, schema: 'public', table: 'guarded' };
    const config = bot.targets.get('prod').config;
    const statement = spec.statement(params);
    await expect(
      runOnActionConnection(
        config,
        'vacuum-table',
        spec,
        statement.text,
        statement.values,
        undefined,
        spec.pinnedObject!(params),
      ),
    ).rejects.toThrow(
      /^Target changed: table guarded was dropped and recreated with the same name since the request \(oid \d+ then, \d+ now\)\. Nothing ran\.$/,
    );
    // Without the pin the same statement runs: the refusal above came from the guard alone.
    await runOnActionConnection(config, 'vacuum-table', spec, statement.text, statement.values);
    await waitFor(
      async () =>
        (
          await truth<{ done: boolean }>(
            "SELECT last_vacuum IS NOT NULL AS done FROM pg_stat_user_tables WHERE relname = 'guarded'",
          )
        )[0]!.done,
      'the unguarded vacuum',
    );
  });
});
