import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../src/config/thresholds.js';
import type { Target } from '../../src/db/targets.js';
import { parseOptions } from '../../src/engine/options.js';
import { findCommand } from '../../src/engine/registry.js';
import type { Fact, Section } from '../../src/report/model.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import * as health from '../report/fixtures/health.js';
import * as performance from '../report/fixtures/performance.js';
import * as replication from '../report/fixtures/replication.js';

/** The words of quiet reports where a count is zero or a figure unknown, from a real server in that state. */

async function truth<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = await connect(url, 'ground-truth');
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const factsOf = (sections: Section[]): Fact[] => sections.flatMap((s) => (s.kind === 'facts' ? s.facts : []));

describe('quiet and unknown figures on PostgreSQL 18', () => {
  let server: TestServer;
  let empty: Target;
  let admin: Target;
  const emptyUrl = () => server.url('emptydb');

  beforeAll(async () => {
    server = await startTestServer(18);
    await truth(server.url(), 'CREATE DATABASE emptydb');
    await truth(emptyUrl(), 'CREATE EXTENSION pg_stat_statements');
    await truth(server.url(), 'CREATE EXTENSION pg_stat_statements');
    empty = testTarget(emptyUrl());
    admin = testTarget(server.url());
  });
  afterAll(async () => {
    await empty?.close();
    await admin?.close();
    await server?.stop();
  });

  it('explain with nothing recorded in the database says so and what to do, not "none of the 0"', async () => {
    await truth(server.url(), 'SELECT pg_stat_statements_reset()');
    const result = await run(empty, 'explain');
    const [recorded] = await truth<{ n: number }>(
      server.url(),
      `SELECT count(*)::int AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = 'emptydb' AND s.query NOT LIKE '%/* pgmedic:%'`,
    );
    expect(recorded!.n).toBe(0);
    expect(result.findings).toEqual({ kind: 'nothing', statements: 0 });
    expect(result.report.summary).toBe(
      'pg_stat_statements has recorded no statement in this database yet, so there is no costliest one to explain: let the workload run for a while, or give a statement or a queryid.',
    );
  });

  it('vacuum on a database without tables of its own says that, not "no table of 0"', async () => {
    const [own] = await truth<{ n: number }>(
      emptyUrl(),
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`,
    );
    expect(own!.n).toBe(0);
    const result = await run(empty, 'vacuum');
    expect(result.report.summary).toBe(
      'Autovacuum is keeping up: this database has no tables of its own yet, and no catalog is past its trigger.',
    );
    expect(factsOf(result.report.sections)).toContainEqual({ label: 'Tables past their trigger', value: 'none' });
  });

  it('performance after a checkpointer reset shows "0" requested, no dangling dash, and points to --since', async () => {
    await truth(server.url(), "SELECT pg_stat_reset_shared('checkpointer')");
    const result = await run(admin, 'performance');
    const [counts] = await truth<{ n: number }>(
      server.url(),
      'SELECT (num_timed + num_requested)::int AS n FROM pg_stat_checkpointer',
    );
    expect(counts!.n).toBe(0);
    expect(factsOf(result.report.sections)).toContainEqual({ label: 'Requested', value: '0', status: 'ok' });
    expect(result.report.footnotes[0]).toContain('add --since 1h');
  });

  it('sizes: "1 more database", not "1 more databases"', async () => {
    const [{ n }] = (await truth<{ n: number }>(
      server.url(),
      'SELECT count(*)::int AS n FROM pg_database WHERE datallowconn AND datconnlimit <> -2',
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(2);
    const one = await run(admin, 'sizes', ['--limit', String(n - 1)]);
    expect(one.report.footnotes).toContain('1 more database not shown (raise --limit).');
    const two = await run(admin, 'sizes', ['--limit', String(n - 2)]);
    expect(two.report.footnotes).toContain('2 more databases not shown (raise --limit).');
  });

  it('replication names a standby that has not reported a replay position instead of "replays – behind"', async () => {
    // A replication-protocol connection is a walsender in `startup` until it streams: no position yet.
    const walsender = new pg.Client({
      connectionString: server.url(),
      application_name: 'wording-walsender',
      replication: 'database',
    } as pg.ClientConfig);
    walsender.on('error', () => undefined);
    await walsender.connect();
    try {
      const rows = await truth<{ state: string; replay_lsn: string | null }>(
        server.url(),
        "SELECT state, replay_lsn::text FROM pg_stat_replication WHERE application_name = 'wording-walsender'",
      );
      expect(rows).toEqual([{ state: 'startup', replay_lsn: null }]);
      const result = await run(admin, 'replication');
      expect(result.report.summary).toBe(
        '1 standby connected (0 streaming); wording-walsender (startup) has not reported a replay position yet.',
      );
    } finally {
      await walsender.end();
    }
  });
});

/** The same words where a real server cannot cheaply be put in the state: from the rendering fixtures, changed. */
describe('counts of one and mixed standbys, from fixed findings', () => {
  const reportOf = (name: string, findings: unknown, tokens: string[] = []) => {
    const command = findCommand(name);
    return command.report(findings, {
      options: parseOptions(command, tokens),
      thresholds: DEFAULT_THRESHOLDS,
      target: 'prod',
      serverVersion: '18.1',
      inRecovery: false,
      now: new Date('2026-03-02T09:30:00Z'),
    });
  };

  it('explain: one recorded statement, or several, none of them plannable', () => {
    expect(reportOf('explain', { kind: 'nothing', statements: 1 }).summary).toBe(
      'The only statement pg_stat_statements has recorded in this database is not a query EXPLAIN can plan.',
    );
    expect(reportOf('explain', { kind: 'nothing', statements: 20 }).summary).toBe(
      'None of the 20 costliest statements recorded in this database is a query EXPLAIN can plan.',
    );
  });

  it('replication: the furthest measured standby, and the one without a position named apart', () => {
    const unknown = replication.trouble.standbys[0]!;
    const measured = { ...unknown, application: 'replica-a', state: 'streaming', replayLagBytes: 2 * 1024 * 1024 };
    const findings = { ...replication.trouble, standbys: [unknown, measured], slots: [] };
    expect(reportOf('replication', findings).summary).toBe(
      '2 standbys connected (1 streaming); the furthest behind, replica-a, replays 2.00 MB behind; scenario-walsender (startup) has not reported a replay position yet.',
    );
  });

  it('health: the command to run goes inside a detail\'s closing parenthesis, never ") ("', () => {
    const summary = reportOf('health', health.trouble).summary;
    expect(summary).toContain('5 sessions idle in transaction (longest 6s; run `locks`).');
    expect(summary).not.toContain(') (');
  });

  it('performance: "1 more database", not "1 more databases"', () => {
    const two = { ...performance.quiet, databases: [...performance.quiet.databases, ...performance.trouble.databases] };
    expect(two.databases).toHaveLength(2);
    expect(reportOf('performance', two, ['--limit', '1']).footnotes).toContain(
      '1 more database not shown (raise --limit).',
    );
  });
});
