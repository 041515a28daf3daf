import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlowQueriesFindings, SlowStatement } from '../../commands/slow-queries.js';
import type { Target } from '../../src/db/targets.js';
import { startCluster } from '../../src/embedded/cluster.js';
import { pgmedic } from '../support/cli.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createSlowStatements, SLOW_STATEMENTS } from '../support/scenarios/slow-statements.js';

type Available = Extract<SlowQueriesFindings, { available: true }>;

const scenarioStatements = (findings: SlowQueriesFindings): SlowStatement[] =>
  (findings as Available).statements.filter((s) => s.query.startsWith('SELECT pg_sleep'));

/** pg_stat_statements' own order of the scenario's statements, by the given column. */
async function truthOrder(
  url: string,
  column: string,
): Promise<{ queryId: string; calls: number; meanMs: number; totalMs: number }[]> {
  const client = await connect(url, 'ground-truth');
  try {
    const mean = column === 'mean' ? 'mean_exec_time' : column === 'calls' ? 'calls' : 'total_exec_time';
    const result = await client.query<{ queryId: string; calls: number; meanMs: number; totalMs: number }>(
      `SELECT queryid::text AS "queryId", calls::float8 AS calls, mean_exec_time AS "meanMs", total_exec_time AS "totalMs"
       FROM pg_stat_statements WHERE query LIKE 'SELECT pg_sleep%' ORDER BY ${mean} DESC`,
    );
    return result.rows;
  } finally {
    await client.end();
  }
}

describe.each([18, 14] as const)('slow-queries on PostgreSQL %i', (major) => {
  let server: TestServer;
  let target: Target;
  let bare: Target;

  beforeAll(async () => {
    server = await startTestServer(major);
    await createSlowStatements(server.url(), server.url('slowdb'), 'slowdb');
    target = testTarget(server.url('slowdb'));
    bare = testTarget(server.url());
  });
  afterAll(async () => {
    await target?.close();
    await bare?.close();
    await server?.stop();
  });

  it.each(['mean', 'total', 'calls'] as const)('orders by %s exactly as pg_stat_statements does', async (sort) => {
    const result = await run(target, 'slow-queries', ['--sort', sort, '--limit', '100']);
    const found = scenarioStatements(result.findings as SlowQueriesFindings);
    const truth = await truthOrder(server.url('slowdb'), sort);
    expect(found.map((s) => s.queryId)).toEqual(truth.map((t) => t.queryId));
    expect(found.map(({ queryId, calls, meanMs, totalMs }) => ({ queryId, calls, meanMs, totalMs }))).toEqual(truth);
    const expectedFirst = {
      mean: SLOW_STATEMENTS.rareSlow,
      total: SLOW_STATEMENTS.frequentMedium,
      calls: SLOW_STATEMENTS.chattyFast,
    }[sort];
    expect(found[0]!.calls).toBe(expectedFirst.calls);
    expect(result.report.title).toBe(`Slow queries (by ${sort})`);
  });

  it('reports shares of total time, the extension version and leaves its own statements out', async () => {
    await run(target, 'slow-queries');
    const result = await run(target, 'slow-queries', ['--limit', '100']);
    const findings = result.findings as Available;
    expect(findings.available).toBe(true);
    expect(findings.extensionVersion).toBe(major === 14 ? '1.9' : '1.12');
    const truth = await connect(server.url('slowdb'), 'ground-truth');
    const tagged = await truth.query<{ id: string }>(
      "SELECT queryid::text AS id FROM pg_stat_statements WHERE query LIKE '%/* pgmedic:%'",
    );
    await truth.end();
    // PostgreSQL 18 drops the leading comment from recorded text; the closing tag survives on every version.
    expect(tagged.rows.length).toBeGreaterThan(0);
    const shown = new Set(findings.statements.map((s) => s.queryId));
    expect(tagged.rows.filter((row) => shown.has(row.id))).toEqual([]);
    for (const s of scenarioStatements(findings)) {
      expect(s.percentOfTotal).toBeGreaterThan(0);
      expect(s.percentOfTotal).toBeCloseTo((100 * s.totalMs) / findings.totalExecMs, 6);
      expect(s.database).toBe('slowdb');
    }
  });

  it('shows each statement’s queryid in the table and how to explain one', async () => {
    const result = await run(target, 'slow-queries', ['--limit', '100']);
    const findings = result.findings as Available;
    const table = result.report.sections.find((s) => s.kind === 'table');
    expect(table?.kind === 'table' && table.columns[1]!.header).toBe('queryid');
    expect(table?.kind === 'table' && table.rows.map((row) => row[1])).toEqual(
      findings.statements.map((s) => s.queryId),
    );
    expect(result.report.footnotes).toContain(
      `To see a statement's plan: explain <queryid>, for example \`explain ${findings.statements[0]!.queryId}\`.`,
    );
  });

  it('offers to explain each statement with a queryid, numbered by row, and the terminal lists them as next steps', async () => {
    const result = await run(target, 'slow-queries', ['--limit', '100']);
    const findings = result.findings as Available;
    expect(findings.statements.every((s) => s.queryId)).toBe(true);
    expect(result.report.followUps).toEqual(
      findings.statements.map((s, i) => ({
        command: 'explain',
        args: [s.queryId],
        label: `Explain #${i + 1}`,
        row: i,
      })),
    );
    const cli = await pgmedic(['slow-queries', '--limit', '3'], { DATABASE_URL: server.url('slowdb') });
    const next = cli.stdout.split('\n').filter((line) => line.startsWith('next: '));
    expect(next).toHaveLength(3);
    const known = await connect(server.url('slowdb'), 'ground-truth');
    const ids = new Set(
      (await known.query<{ id: string }>('SELECT queryid::text AS id FROM pg_stat_statements')).rows.map(
        (row) => row.id,
      ),
    );
    await known.end();
    for (const line of next) {
      const id = /^next: pgmedic explain (-?\d+)$/.exec(line)?.[1];
      expect(id && ids.has(id), line).toBe(true);
    }
  });

  it('applies --min-mean-ms and --limit', async () => {
    const result = await run(target, 'slow-queries', ['--min-mean-ms', '50', '--sort', 'calls']);
    const findings = result.findings as Available;
    expect(findings.statements.every((s) => s.meanMs >= 50)).toBe(true);
    expect(scenarioStatements(findings).map((s) => s.calls)).toEqual([SLOW_STATEMENTS.rareSlow.calls]);
    const limited = await run(target, 'slow-queries', ['--limit', '2']);
    expect((limited.findings as Available).statements).toHaveLength(2);
  });

  it('says how to install the extension where it is missing, without failing', async () => {
    const result = await run(bare, 'slow-queries');
    expect(result.status).toBe('warn');
    expect(result.findings).toMatchObject({ available: false, reason: 'not-installed', preloaded: true });
    expect(result.summary).toContain('CREATE EXTENSION pg_stat_statements');
    expect(result.report.sections[0]).toMatchObject({
      kind: 'code',
      text: expect.stringContaining('CREATE EXTENSION pg_stat_statements;'),
    });
  });
});

describe('slow-queries without the library preloaded', () => {
  it('says to add it to shared_preload_libraries and restart', async () => {
    const cluster = await startCluster({ major: 18, settings: { shared_preload_libraries: '' } });
    const setup = await connect(cluster.url());
    await setup.query('CREATE EXTENSION pg_stat_statements');
    await setup.end();
    const target = testTarget(cluster.url());
    try {
      const result = await run(target, 'slow-queries');
      expect(result.status).toBe('warn');
      expect(result.findings).toMatchObject({ available: false, reason: 'not-preloaded' });
      expect(result.summary).toMatch(/shared_preload_libraries and restart/);
    } finally {
      await target.close();
      await cluster.stop();
    }
  });
});

describe('slow-queries with an extension older than the server', () => {
  it('reads total_time/mean_time and blk_read_time from pg_stat_statements 1.7 on PostgreSQL 18', async () => {
    const server = await startTestServer(18);
    const admin = await connect(server.url());
    await admin.query('CREATE DATABASE oldpgss');
    await admin.end();
    const client = await connect(server.url('oldpgss'));
    await client.query("CREATE EXTENSION pg_stat_statements VERSION '1.7'");
    await client.query(SLOW_STATEMENTS.rareSlow.sql);
    const target = testTarget(server.url('oldpgss'));
    try {
      const result = await run(target, 'slow-queries', ['--sort', 'mean', '--limit', '100']);
      const findings = result.findings as Available;
      expect(findings.extensionVersion).toBe('1.7');
      const truth = await client.query<{ queryId: string; meanMs: number; totalMs: number }>(
        `SELECT queryid::text AS "queryId", mean_time AS "meanMs", total_time AS "totalMs" FROM pg_stat_statements WHERE query LIKE 'SELECT pg_sleep%'`,
      );
      expect(
        scenarioStatements(findings).map(({ queryId, meanMs, totalMs }) => ({ queryId, meanMs, totalMs })),
      ).toEqual(truth.rows);
      expect(findings.statements.every((s) => s.toplevel === null && typeof s.ioReadMs === 'number')).toBe(true);
      expect(findings.deallocations).toBeNull();
    } finally {
      await client.end();
      await target.close();
      await server.stop();
    }
  });
});
