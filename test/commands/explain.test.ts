import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainFindings } from '../../commands/explain.js';
import type { Target } from '../../src/db/targets.js';
import { AppError } from '../../src/errors.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createSlowStatements } from '../support/scenarios/slow-statements.js';

type Plan = Extract<ExplainFindings, { kind: 'plan' }>;
const ORDERS_ROWS = 150_000;

/** A large table, and pg_stat_statements entries for one statement with a parameter and one without. */
async function createOrders(url: string): Promise<void> {
  const client = await connect(url, 'scenario-orders');
  try {
    await client.query('CREATE TABLE orders (id int PRIMARY KEY, customer int, note text)');
    await client.query(`INSERT INTO orders SELECT g, g % 1000, md5(g::text) FROM generate_series(1, ${ORDERS_ROWS}) g`);
    await client.query('CREATE TABLE victim (id int)');
    await client.query('ANALYZE orders');
    await client.query("SELECT * FROM orders WHERE note = 'abc'");
    await client.query('SELECT count(*) FROM orders');
  } finally {
    await client.end();
  }
}

async function truth<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = await connect(url, 'ground-truth');
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const queryIdOf = async (url: string, like: string) =>
  (
    await truth<{ id: string }>(
      url,
      `SELECT queryid::text AS id FROM pg_stat_statements WHERE query LIKE '${like}' AND toplevel`,
    )
  )[0]!.id;

async function refusal(target: Target, statement: string): Promise<AppError> {
  const failed = await run(target, 'explain', [statement]).then(
    () => null,
    (error: unknown) => error,
  );
  expect(failed).toBeInstanceOf(AppError);
  return failed as AppError;
}

describe.each([17, 14] as const)('explain on PostgreSQL %i', (major) => {
  let server: TestServer;
  let target: Target;
  const url = () => server.url('explaindb');

  beforeAll(async () => {
    server = await startTestServer(major);
    await createSlowStatements(server.url(), url(), 'explaindb');
    await createOrders(url());
    target = testTarget(url());
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('explains a pg_stat_statements entry with $1 by queryid: a generic plan on 16+, a reason on 14–15', async () => {
    const id = await queryIdOf(url(), 'SELECT * FROM orders WHERE note = $1');
    const findings = (await run(target, 'explain', [id])).findings as ExplainFindings;
    if (major >= 16) {
      expect(findings.kind).toBe('plan');
      const plan = findings as Plan;
      expect(plan.generic).toBe(true);
      expect(plan.parameters).toBe(1);
      expect(plan.analyzable).toBe(false); // ANALYZE needs values
      expect(plan.nodes.some((n) => n.nodeType.endsWith('Seq Scan') && n.relation === 'public.orders')).toBe(true);
      const [facts] = await truth<{ rows: number; bytes: number }>(
        url(),
        "SELECT reltuples::float8 AS rows, relpages::float8 * 8192 AS bytes FROM pg_class WHERE oid = 'public.orders'::regclass",
      );
      expect(plan.advice).toContainEqual({
        advice: 'seq-scan-large',
        relation: 'public.orders',
        rows: facts!.rows,
        bytes: facts!.bytes,
      });
    } else {
      expect(findings.kind).toBe('needs-values');
      const report = (await run(target, 'explain', [id])).report;
      expect(report.summary).toContain('GENERIC_PLAN) arrived in PostgreSQL 16');
      expect(report.footnotes.join(' ')).toContain('type the statement with values');
    }
  });

  it('plans a parameter-free pg_stat_statements entry on every version', async () => {
    const id = await queryIdOf(url(), 'SELECT count(*) FROM orders');
    const plan = (await run(target, 'explain', [id])).findings as Plan;
    expect(plan.kind).toBe('plan');
    expect(plan.queryId).toBe(id);
    expect(plan.analyzable).toBe(true);
    expect(plan.nodes[0]!.depth).toBe(0);
    expect(plan.nodes.some((n) => n.relation === 'public.orders')).toBe(true);
  });

  it('with nothing typed, plans the costliest plannable statement of this database', async () => {
    const result = await run(target, 'explain');
    const findings = result.findings as Exclude<ExplainFindings, { kind: 'not-found' | 'no-pgss' | 'nothing' }>;
    const [top] = await truth<{ id: string; query: string }>(
      url(),
      `SELECT queryid::text AS id, query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND query NOT LIKE '%/* pgmedic:%' AND query ~* '^(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE) ' ORDER BY total_exec_time DESC, queryid LIMIT 1`,
    );
    expect(findings.source).toBe('top');
    expect(findings.queryId).toBe(top!.id);
    if (major < 16 && top!.query.includes('$1')) expect(findings.kind).toBe('needs-values');
    // the scenario's generate_series INSERT: GENERIC_PLAN cannot choose generate_series for parameters of unknown type
    else if (top!.query.includes('generate_series($2, $3)'))
      expect(findings).toMatchObject({ kind: 'server-error', sqlstate: '42725' });
    else expect(findings.kind).toBe('plan');
    expect(result.report.title).toBe(`Explain the costliest statement (query ${top!.id})`);
  });

  it('plans a queryid from another database in that database', async () => {
    await truth(server.url(), 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const id = await queryIdOf(url(), 'SELECT count(*) FROM orders');
    const other = testTarget(server.url());
    try {
      const plan = (await run(other, 'explain', [id])).findings as Plan;
      // explain-analyze runs in the target's own database only, so no button here
      expect(plan).toMatchObject({ kind: 'plan', database: 'explaindb', queryId: id, analyzable: false });
      expect(plan.nodes.some((n) => n.relation === 'public.orders')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('as a role without pg_read_all_stats or table privileges, says what it cannot read and what to grant', async () => {
    await truth(url(), `DROP ROLE IF EXISTS explain_plain; CREATE ROLE explain_plain LOGIN`);
    const id = await queryIdOf(url(), 'SELECT count(*) FROM orders');
    const plain = testTarget(url().replace('postgres@', 'explain_plain@'));
    try {
      const hidden = await run(plain, 'explain', [id]);
      // another role's entry has no queryid for it (NULL without pg_read_all_stats)
      expect(hidden.findings).toEqual({ kind: 'not-found', queryId: id, seesAllStatements: false });
      expect(hidden.report.footnotes[1]).toContain('GRANT pg_read_all_stats');
      const denied = await run(plain, 'explain', ['SELECT count(*) FROM orders']);
      expect(denied.findings).toMatchObject({
        kind: 'server-error',
        sqlstate: '42501',
        message: 'permission denied for table orders',
      });
      expect(denied.report.footnotes[0]).toContain('GRANT pg_read_all_data');
    } finally {
      await plain.close();
    }
  });

  it('says so for a queryid that is not there', async () => {
    const result = await run(target, 'explain', ['42']);
    expect((result.findings as ExplainFindings).kind).toBe('not-found');
    expect(result.report.summary).toBe('No pg_stat_statements entry has queryid 42.');
  });

  it('explains typed SQL, as one word or many, with the plan tree and spill advice matching the server', async () => {
    const result = await run(target, 'explain', ['SELECT', '*', 'FROM', 'orders', 'ORDER', 'BY', 'note']);
    const plan = result.findings as Plan;
    expect(plan.kind).toBe('plan');
    expect(plan.source).toBe('statement');
    // a SELECT that only reads, with its values: the report offers EXPLAIN ANALYZE behind approval
    expect(result.report.actions).toEqual([
      {
        action: 'explain-analyze',
        label: 'Explain ANALYZE',
        params: { statement: 'SELECT * FROM orders ORDER BY note' },
      },
    ]);
    const [text] = await truth<{
      'QUERY PLAN': {
        Plan: { 'Node Type': string; 'Total Cost': number; 'Plan Rows': number; 'Plan Width': number };
      }[];
    }>(url(), 'EXPLAIN (FORMAT JSON) SELECT * FROM orders ORDER BY note');
    const top = text!['QUERY PLAN'][0]!.Plan;
    expect(plan.nodes[0]).toMatchObject({
      depth: 0,
      nodeType: top['Node Type'],
      totalCost: top['Total Cost'],
      planRows: top['Plan Rows'],
    });
    const [workMem] = await truth<{ bytes: number }>(
      url(),
      "SELECT setting::float8 * 1024 AS bytes FROM pg_settings WHERE name = 'work_mem'",
    );
    expect(top['Plan Rows'] * top['Plan Width']).toBeGreaterThan(workMem!.bytes);
    expect(plan.advice).toContainEqual({
      advice: 'spill-risk',
      nodeType: 'Sort',
      relation: 'public.orders',
      estimatedBytes: top['Plan Rows'] * top['Plan Width'],
      memoryBytes: workMem!.bytes,
    });
    const tree = result.report.sections[0]!;
    expect(tree.kind === 'code' && tree.text).toMatch(
      /^Sort {2}\(cost=[0-9.]+\.\.[0-9.]+ rows=[0-9,]+ width=\d+\)\n {2}-> Seq Scan on public\.orders {2}\(cost=/,
    );
  });

  it('reports what the server says when it cannot plan a statement, with what to do', async () => {
    const result = await run(target, 'explain', ['SELECT * FROM generate_series($1, $2)']);
    if (major < 16) {
      expect(result.findings).toMatchObject({ kind: 'needs-values', parameters: 2 });
    } else {
      expect(result.findings).toMatchObject({
        kind: 'server-error',
        sqlstate: '42725',
        message: 'function generate_series(unknown, unknown) is not unique',
      });
      expect(result.report.footnotes).toContain(
        'A parameter whose type PostgreSQL cannot infer needs a cast ($1::int) or a value.',
      );
    }
    expect(result.status).toBe('warn');
    const typed = await run(target, 'explain', ['SELECT * FROM no_such_table']);
    expect(typed.findings).toMatchObject({ kind: 'server-error', sqlstate: '42P01' });
    expect(typed.summary).toBe(
      'PostgreSQL would not plan it: relation "no_such_table" does not exist (SQLSTATE 42P01).',
    );
  });

  it('explains an INSERT without inserting anything', async () => {
    const before = await truth<{ n: number }>(url(), 'SELECT count(*)::int AS n FROM orders');
    const result = await run(target, 'explain', ['INSERT INTO orders SELECT id + 1000000, customer, note FROM orders']);
    const plan = result.findings as Plan;
    expect(plan.kind).toBe('plan');
    expect(result.report.actions).toEqual([]); // never offered for a write
    expect(plan.nodes[0]!.nodeType).toBe('ModifyTable');
    expect(plan.nodes[0]!.relation).toBe('public.orders');
    expect(await truth<{ n: number }>(url(), 'SELECT count(*)::int AS n FROM orders')).toEqual(before);
  });

  it('bin/pgmedic explains a statement typed over lines; with --redact its literals are hidden like any query text', async () => {
    const cleanEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith('PGMEDIC_') && !key.startsWith('PG') && key !== 'DATABASE_URL',
      ),
    );
    // exit code 1 is the warn status (a large sequential scan): the output is what matters here
    const pgmedic = (args: string[]) =>
      promisify(execFile)('bin/pgmedic', args, { env: { ...cleanEnv, NO_COLOR: '1', DATABASE_URL: url() } }).catch(
        (error: { code: number; stdout: string }) => {
          expect(error.code).toBe(1);
          return error;
        },
      );
    const sql =
      "SELECT o.customer, count(*)\nFROM orders o JOIN orders p ON p.id = o.customer\nWHERE o.note <> 'secret-literal'\nGROUP BY o.customer";
    const json = JSON.parse((await pgmedic(['explain', sql, '--format', 'json', '--redact'])).stdout) as {
      findings: Plan;
    };
    expect(json.findings.kind).toBe('plan');
    expect(json.findings.query).not.toContain('secret-literal');
    expect(json.findings.nodes.map((n) => n.depth)[0]).toBe(0);
    expect((await pgmedic(['explain', sql, '--format', 'json'])).stdout).toContain('secret-literal');
    const text = (await pgmedic(['explain', sql, '--redact'])).stdout;
    expect(text).not.toContain('secret-literal');
    expect(text).toMatch(/\n +-> Seq Scan on public\.orders {2}\(cost=/);
    expect(text).toMatch(/(Group|Hash)Aggregate/);
  });

  it('refuses anything but one plannable statement before it reaches the server', async () => {
    expect((await refusal(target, 'CREATE TABLE made_by_explain (id int)')).message).toBe(
      'explain plans queries only; this is a Create statement, which it will not send.',
    );
    expect((await refusal(target, 'VACUUM victim')).message).toMatch(/this is a Vacuum statement/);
    expect((await refusal(target, 'SELECT 1; SELECT 2')).message).toBe(
      'That is 2 statements; explain plans exactly one.',
    );
    expect((await refusal(target, 'SELECT 1; DROP TABLE victim')).message).toBe(
      'That is 2 statements; explain plans exactly one.',
    );
    expect((await refusal(target, 'SELECT 1 INTO made_by_explain')).message).toMatch(/SELECT … INTO creates a table/);
    expect((await refusal(target, 'SELECT 1 /* unterminated')).message).toMatch(/does not parse as PostgreSQL SQL/);
    expect((await refusal(target, 'EXPLAIN ANALYZE DELETE FROM victim')).message).toMatch(
      /this is a Explain statement/,
    );
    expect((await refusal(target, '/* nothing */')).hint).toMatch(/Give one SELECT/);
    expect(await truth(url(), "SELECT 1 FROM pg_class WHERE relname = 'victim'")).toHaveLength(1);
    expect(await truth(url(), "SELECT 1 FROM pg_class WHERE relname = 'made_by_explain'")).toHaveLength(0);
    expect(
      await truth(
        url(),
        "SELECT query FROM pg_stat_statements WHERE query ILIKE '%DROP TABLE victim%' OR query ILIKE 'VACUUM victim%' OR query ILIKE '%made_by_explain%' OR query = 'SELECT $1; SELECT $2'",
      ),
    ).toEqual([]);
  });
});

describe('explain refusals', () => {
  it('bin/pgmedic refuses a statement that is not one query with exit code 3 before it connects anywhere', async () => {
    // A target nobody listens on: a connection attempt would say "Could not connect" instead.
    const env = {
      ...process.env,
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      PGMEDIC_CONFIG: '',
      NO_COLOR: '1',
    };
    for (const [statement, expected] of [
      ['SELECT 1; DROP TABLE x', 'That is 2 statements; explain plans exactly one.'],
      ['TRUNCATE x', 'explain plans queries only; this is a Truncate statement, which it will not send.'],
      ['SELECT FROM WHERE', 'The statement does not parse as PostgreSQL SQL (syntax error at character 13).'],
    ] as const) {
      const failed = await promisify(execFile)('bin/pgmedic', ['explain', statement], { env }).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(3);
      expect(failed?.stderr).toContain(expected);
      expect(failed?.stderr).not.toContain('connect');
    }
  });
});
