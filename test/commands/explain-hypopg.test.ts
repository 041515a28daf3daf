import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainFindings } from '../../commands/explain.js';
import { suggestIndexes } from '../../commands/explain/hypopg.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { startDebianPg15, type DebianServer } from '../support/debian-pg.js';
import { run, testTarget } from '../support/engine.js';

type Plan = Extract<ExplainFindings, { kind: 'plan' }>;
type Suggestion = Extract<Plan['advice'][number], { advice: 'index-suggestion' }>;

/** hypopg exists only in Debian's PostgreSQL 15 here (postgresql-15-hypopg); the embedded binaries lack it. */
describe('explain index suggestions with hypopg (Debian PostgreSQL 15)', () => {
  let server: DebianServer;
  let target: Target;
  let bare: Target;

  async function sql<T extends object>(database: string, text: string): Promise<T[]> {
    const client = await connect(server.url(database), 'ground-truth');
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  }

  /** A fresh EXPLAIN by hand: the total cost, with the index created hypothetically when one is given. */
  async function costByHand(statement: string, index?: string): Promise<number> {
    const client = await connect(server.url('shop'), 'ground-truth');
    try {
      if (index) await client.query('SELECT * FROM hypopg_create_index($1)', [index]);
      const { rows } = await client.query<{ 'QUERY PLAN': { Plan: { 'Total Cost': number } }[] }>(
        `EXPLAIN (FORMAT JSON) ${statement}`,
      );
      return rows[0]!['QUERY PLAN'][0]!.Plan['Total Cost'];
    } finally {
      await client.end();
    }
  }

  const hypotheticalIndexes = (t: Target) =>
    t.readOnly('test', (s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM hypopg_list_indexes'));

  beforeAll(async () => {
    server = await startDebianPg15();
    for (const database of ['shop', 'bare']) {
      await sql('postgres', `CREATE DATABASE ${database}`);
      await sql(
        database,
        `CREATE TABLE orders (id int PRIMARY KEY, customer int, note text);
         INSERT INTO orders SELECT g, g % 1000, md5(g::text) FROM generate_series(1, 150000) g;
         ANALYZE orders`,
      );
    }
    await sql('shop', 'CREATE EXTENSION hypopg');
    await sql(
      'shop',
      `CREATE TABLE customers (id int PRIMARY KEY, region text);
       INSERT INTO customers SELECT g, 'region' || g % 50 FROM generate_series(1, 1000) g;
       UPDATE customers SET region = 'north' WHERE id <= 3;
       ANALYZE customers`,
    );
    // One pooled connection: what the report's session leaves behind is what the next check finds.
    target = testTarget(server.url('shop'), { poolSize: 1 });
    bare = testTarget(server.url('bare'), { poolSize: 1 });
  });
  afterAll(async () => {
    await target?.close();
    await bare?.close();
    await server?.stop();
  });

  it('suggests an index on the filtered column with the costs a hand-made hypothetical index gives', async () => {
    const statement = "SELECT * FROM orders WHERE note = 'abc'";
    const result = await run(target, 'explain', [statement]);
    const plan = result.findings as Plan;
    expect(plan.kind).toBe('plan');
    const suggestions = plan.advice.filter((a): a is Suggestion => a.advice === 'index-suggestion');
    expect(suggestions).toEqual([
      {
        advice: 'index-suggestion',
        relation: 'public.orders',
        columns: ['note'],
        costBefore: await costByHand(statement),
        costAfter: await costByHand(statement, 'CREATE INDEX ON orders (note)'),
        definition: 'CREATE INDEX CONCURRENTLY ON "public"."orders" ("note")',
      },
    ]);
    expect(suggestions[0]!.costAfter).toBeLessThan(suggestions[0]!.costBefore);
    const advice = result.report.sections.find((s) => s.title === 'Advice');
    expect(advice?.kind === 'text' && advice.text).toContain('Index on public.orders (note): estimated cost');
    expect(result.report.footnotes.join(' ')).toContain('hypothetical indexes (hypopg)');
    expect(await hypotheticalIndexes(target)).toEqual([{ n: 0 }]);
    // all of it in the diagnostic's read-only session (hypopg writes nothing, so read-only allows it)
    expect(await target.readOnly('test', (s) => s.query('SHOW default_transaction_read_only'))).toEqual([
      { default_transaction_read_only: 'on' },
    ]);
    // nothing was built for real
    expect(await sql('shop', "SELECT indexrelid FROM pg_index WHERE indrelid = 'orders'::regclass")).toHaveLength(1);
  });

  it('suggests from a join condition and a sort key; nothing where no index lowers the cost', async () => {
    const joined = "SELECT * FROM customers c JOIN orders o ON o.customer = c.id WHERE c.region = 'north'";
    const join = (await run(target, 'explain', [joined])).findings as Plan;
    expect(join.advice.filter((a) => a.advice === 'index-suggestion')).toContainEqual(
      expect.objectContaining({
        relation: 'public.orders',
        columns: ['customer'],
        costAfter: await costByHand(joined, 'CREATE INDEX ON orders (customer)'),
      }),
    );
    const sorted = 'SELECT * FROM orders ORDER BY customer LIMIT 10';
    const sort = (await run(target, 'explain', [sorted])).findings as Plan;
    expect(sort.advice.filter((a) => a.advice === 'index-suggestion')).toEqual([
      expect.objectContaining({
        columns: ['customer'],
        costAfter: await costByHand(sorted, 'CREATE INDEX ON orders (customer)'),
      }),
    ]);
    const counted = await run(target, 'explain', ['SELECT count(*) FROM orders']);
    expect((counted.findings as Plan).advice.filter((a) => a.advice === 'index-suggestion')).toEqual([]);
    expect(counted.report.footnotes.join(' ')).toContain('none that the planner would use lowered the cost');
    expect(await hypotheticalIndexes(target)).toEqual([{ n: 0 }]);
  });

  it('removes its hypothetical indexes on the same connection when planning fails midway', async () => {
    const statement = 'EXPLAIN (FORMAT JSON) SELECT * FROM orders WHERE customer = 7';
    const candidates = [{ schema: 'public', table: 'orders', columns: ['customer'] }];
    const left = await target.readOnly('test', async (session) => {
      // The real session, its EXPLAIN failing once the index exists: as the server (a timeout) or the network would.
      const failingWith = (error: Error) => ({
        ...session,
        query: <Row extends object>(text: never, params?: readonly unknown[]) =>
          String(text).startsWith('EXPLAIN') ? Promise.reject(error) : session.query<Row>(text, params),
      });
      const listed = () => session.query<{ n: number }>('SELECT count(*)::int AS n FROM hypopg_list_indexes');
      const timeout = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      const skipped = await suggestIndexes(failingWith(timeout), 'public', statement, 1e9, candidates);
      const afterTimeout = await listed();
      const lost = await suggestIndexes(
        failingWith(new Error('connection lost')),
        'public',
        statement,
        1e9,
        candidates,
      ).then(
        () => null,
        (error: Error) => error.message,
      );
      return { skipped, afterTimeout, lost, afterLost: await listed() };
    });
    expect(left).toEqual({ skipped: [], afterTimeout: [{ n: 0 }], lost: 'connection lost', afterLost: [{ n: 0 }] });
  });

  it('without the hypopg extension in the database, says how to install it', async () => {
    const result = await run(bare, 'explain', ["SELECT * FROM orders WHERE note = 'abc'"]);
    const plan = result.findings as Plan;
    expect(plan.hypopg).toBe(false);
    expect(plan.advice).toContainEqual({ advice: 'hypopg-missing' });
    expect(plan.advice.filter((a) => a.advice === 'index-suggestion')).toEqual([]);
    const advice = result.report.sections.find((s) => s.title === 'Advice');
    expect(advice?.kind === 'text' && advice.text).toContain('postgresql-<major>-hypopg');
    expect(advice?.kind === 'text' && advice.text).toContain('CREATE EXTENSION hypopg');
  });
});
