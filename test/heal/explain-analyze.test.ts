import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { whatToCheck } from '../../src/heal/limbo-hints.js';
import { connect, waitFor } from '../support/clients.js';
import {
  prepareHealingServer,
  startInstance,
  type HealingInstance,
  type HealingServer,
  transactionControlSent,
} from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;
let env: HealingServer;
let bot: HealingInstance;

async function truth<Row extends object>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const c = await connect(env.adminUrl, 'ground-truth');
  try {
    return (await c.query<Row>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  const app = await connect(env.appUrl, 'scenario-ledger');
  await app.query(`CREATE TABLE ledger (id int PRIMARY KEY, amount int);
    INSERT INTO ledger SELECT g, g FROM generate_series(1, 1000) g;
    ANALYZE ledger;
    CREATE SEQUENCE ledger_seq;
    CREATE FUNCTION add_entry() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
      BEGIN INSERT INTO ledger VALUES (100000, 1); RETURN 1; END $$`);
  // pg_stat_statements entries: one with a constant (recorded as $1), one without
  await app.query('SELECT count(*) FROM ledger WHERE amount > 10');
  await app.query('SELECT max(amount) FROM ledger');
  await app.end();
  // nextval as a privilege of the monitoring role's, so the test below shows the READ ONLY transaction stopping it
  await truth('GRANT USAGE ON SEQUENCE ledger_seq TO monitor');
  bot = await startInstance(env);
});
afterAll(async () => {
  await bot?.close();
  await server?.stop();
});

const ask = (statement: string, instance = bot) =>
  instance.healing.requestAction({
    action: 'explain-analyze',
    tokens: [statement],
    requestedBy: 'U_ALICE',
    channel: 'C_DBA',
  });

async function requestAndApprove(statement: string, instance = bot) {
  const asked = await ask(statement, instance);
  expect(asked.notice.kind, asked.notice.text).toBe('requested');
  const done = await instance.healing.approve({ requestId: asked.request!.id, userId: 'U_BOB' });
  return { asked: asked.request!, done: done.request! };
}

const queryIdOf = async (text: string) =>
  (
    await truth<{ id: string }>(
      'SELECT queryid::text AS id FROM pg_stat_statements WHERE query = $1 AND toplevel ORDER BY calls DESC LIMIT 1',
      [text],
    )
  )[0]!.id;

const requestCount = async () =>
  Number((await bot.statePool.query('SELECT count(*) AS n FROM pgmedic.approval_requests')).rows[0].n);

describe('explain-analyze: EXPLAIN ANALYZE of one SELECT behind approval', () => {
  it('runs a typed SELECT in a READ ONLY transaction, rolls it back, and returns the plan with actual rows', async () => {
    const { asked, done } = await requestAndApprove('SELECT count(*) FROM ledger WHERE amount > 10');
    expect(asked.statement).toBe(
      'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(*) FROM ledger WHERE amount > 10',
    );
    expect(done.status).toBe('succeeded');
    const [matching] = await truth<{ n: number }>('SELECT count(*)::int AS n FROM ledger WHERE amount > 10');
    const detail = done.outcome!.detail!;
    expect(detail.title).toContain('READ ONLY transaction, rolled back');
    expect(detail.text).toMatch(/^Aggregate {2}\(cost=[0-9.]+ rows=1 width=8\) \(actual time=[0-9.]+ rows=1 loops=1\)/);
    expect(detail.text).toMatch(
      new RegExp(
        `\\n {2}-> Seq Scan on ledger {2}\\(cost=[0-9.]+ rows=[0-9,]+ width=\\d+\\) \\(actual time=[0-9.]+ rows=${matching!.n} loops=1\\)`,
      ),
    );
    expect(detail.text).toMatch(/\nExecution Time: [0-9.]+ ms$/);
    expect(done.outcome!.summary).toMatch(/^Ran in [0-9.]+ ms \(planning [0-9.]+ ms\), 1 row, then rolled back/);
    // PostgreSQL's own record of who sent it: the monitoring role's read-only transaction, rolled back, never
    // committed (the action role, which may signal the app's sessions, sent none)
    expect(await transactionControlSent(env.adminUrl)).toEqual([
      { role: 'monitor', query: 'BEGIN READ ONLY' },
      { role: 'monitor', query: 'ROLLBACK' },
    ]);
    const trail = await bot.healing.requestAudit(asked.id);
    expect(trail.map((e) => e.event)).toEqual(['requested', 'approved', 'execution_started', 'executed']);
  });

  it('runs a pg_stat_statements entry by queryid; refuses one with parameters, saying why', async () => {
    const plain = await queryIdOf('SELECT max(amount) FROM ledger');
    const { asked, done } = await requestAndApprove(plain);
    expect(asked.statement).toBe('EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT max(amount) FROM ledger');
    expect(asked.params).toEqual({ query: 'SELECT max(amount) FROM ledger', queryId: plain });
    expect(done.status).toBe('succeeded');

    const withParameter = await queryIdOf('SELECT count(*) FROM ledger WHERE amount > $1');
    const refused = await ask(withParameter);
    expect(refused.notice).toMatchObject({ kind: 'refused', reason: 'preview_refused' });
    expect(refused.notice.text).toBe(
      'The statement has $1…$1 parameters and EXPLAIN ANALYZE runs it, so it needs real values. Type the statement with values in place of $1, $2, … (`explain-analyze SELECT … WHERE id = 42`).',
    );
  });

  it('refuses anything but one SELECT that only reads before any request exists', async () => {
    const before = await requestCount();
    for (const [statement, message] of [
      ['SELECT 1; DROP TABLE ledger', 'That is 2 statements; explain-analyze runs exactly one.'],
      [
        'WITH d AS (DELETE FROM ledger RETURNING *) SELECT count(*) FROM d',
        'It contains DELETE (a data-modifying WITH), which EXPLAIN ANALYZE would run.',
      ],
      [
        'SELECT * FROM ledger FOR UPDATE',
        'SELECT … FOR UPDATE/SHARE locks the rows it reads; explain-analyze runs reads only.',
      ],
      [
        'EXPLAIN ANALYZE INSERT INTO ledger VALUES (5000, 1)',
        'explain-analyze runs queries only; this is a Explain statement, which it will not send.',
      ],
      [
        'INSERT INTO ledger VALUES (5000, 1)',
        'EXPLAIN ANALYZE would really run this INSERT; explain-analyze runs SELECT only.',
      ],
      [
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity',
        'It calls pg_terminate_backend(), whose effect a READ ONLY transaction does not stop and a rollback does not undo.',
      ],
      [
        'SELECT * FROM ledger WHERE id = $1',
        'The statement has $1…$1 parameters and EXPLAIN ANALYZE runs it, so it needs real values.',
      ],
    ]) {
      const failed = await ask(statement!).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failed, statement).toBeInstanceOf(AppError);
      expect((failed as AppError).message).toBe(message);
    }
    expect(await requestCount()).toBe(before);
    expect(await truth('SELECT count(*)::int AS n FROM ledger')).toEqual([{ n: 1000 }]);
  });

  it('a function that writes and nextval are stopped by the READ ONLY transaction: nothing changes', async () => {
    const sequenceBefore = await truth('SELECT last_value::text, is_called FROM ledger_seq');
    for (const [statement, refusal] of [
      ['SELECT add_entry()', 'cannot execute INSERT in a read-only transaction'],
      ["SELECT nextval('ledger_seq')", 'cannot execute nextval() in a read-only transaction'],
    ] as const) {
      const { done } = await requestAndApprove(statement);
      expect(done.status, statement).toBe('failed');
      expect(done.outcome!.error).toEqual({ code: '25006', message: refusal });
    }
    expect(await truth('SELECT count(*)::int AS n, max(id) AS top FROM ledger')).toEqual([{ n: 1000, top: 1000 }]);
    expect(await truth('SELECT last_value::text, is_called FROM ledger_seq')).toEqual(sequenceBefore);
  });

  it("runs with the target's statement_timeout", async () => {
    const strict = await startInstance(env, { target: { statementTimeoutMs: 300 } });
    try {
      const { done } = await requestAndApprove('SELECT pg_sleep(5)', strict);
      expect(done.status).toBe('failed');
      expect(done.outcome!.error).toEqual({ code: '57014', message: 'canceling statement due to statement timeout' });
    } finally {
      await strict.close();
    }
  });

  it('a stop mid-run cancels the SELECT as the role it runs as (the monitoring role cancels its own backend)', async () => {
    const patient = await startInstance(env, { target: { statementTimeoutMs: 120_000 } });
    try {
      const asked = await ask('SELECT pg_sleep(60)', patient);
      const approving = patient.healing.approve({ requestId: asked.request!.id, userId: 'U_BOB' });
      const running = await waitFor(
        async () =>
          (
            await truth<{ pid: number; usename: string }>(
              "SELECT pid, usename FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%EXPLAIN (ANALYZE%pg_sleep(60)%' AND pid <> pg_backend_pid()",
            )
          )[0],
        'the EXPLAIN ANALYZE to run',
      );
      expect(running.usename).toBe('monitor');
      const [interrupted] = await patient.healing.interruptRunning(0);
      expect(interrupted).toMatchObject({ id: asked.request!.id, status: 'interrupted' });
      expect(interrupted!.outcome!.summary).toContain('the statement was cancelled');
      await approving;
      await waitFor(
        async () =>
          !(await truth('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = $2', [running.pid, 'active']))
            .length,
        'the SELECT to stop running',
      );
    } finally {
      await patient.close();
    }
  });

  it('when its outcome is unknown, says nothing can have been committed', () => {
    const check = whatToCheck({ action: 'explain-analyze', params: { query: 'SELECT 1' } });
    expect(check[0]).toMatch(/^Nothing can have been committed: the SELECT ran in a READ ONLY transaction/);
  });
});
