import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexesFindings, IndexFinding } from '../../commands/indexes.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { startIndexBuild } from '../support/scenarios/index-build-in-progress.js';
import { createIndexProblems, INDEX_PROBLEMS as N } from '../support/scenarios/index-problems.js';

const find = (findings: IndexesFindings, problem: IndexFinding['problem'], index: string | null, table?: string) =>
  findings.indexes.find(
    (f) => f.problem === problem && f.index === index && (table === undefined || f.table === table),
  );
const flagged = (findings: IndexesFindings, problem: IndexFinding['problem']) =>
  findings.indexes
    .filter((f) => f.problem === problem && f.table === N.table)
    .map((f) => f.index)
    .sort();

interface IndexTruth {
  index: string;
  idx_scan: number;
  valid: boolean;
  unique: boolean;
  keys: string;
  size: number;
  definition: string;
}

/** pg_index / pg_stat_user_indexes, asked directly. */
async function truth(url: string): Promise<Map<string, IndexTruth>> {
  const client = await connect(url, 'ground-truth');
  try {
    const result = await client.query<IndexTruth>(
      `SELECT s.indexrelname AS index, s.idx_scan::float8 AS idx_scan, i.indisvalid AS valid, i.indisunique AS unique, i.indkey::text AS keys,
              pg_relation_size(s.indexrelid)::float8 AS size, pg_get_indexdef(s.indexrelid) AS definition
       FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid WHERE s.relname = $1`,
      [N.table],
    );
    return new Map(result.rows.map((row) => [row.index, row]));
  } finally {
    await client.end();
  }
}

describe.each([18, 14] as const)('indexes on PostgreSQL %i', (major) => {
  let server: TestServer;
  let target: Target;
  let findings: IndexesFindings;
  let result: Awaited<ReturnType<typeof run>>;
  let pg: Map<string, IndexTruth>;

  beforeAll(async () => {
    server = await startTestServer(major);
    await createIndexProblems(server.url());
    target = testTarget(server.url());
    result = await run(target, 'indexes');
    findings = result.findings as IndexesFindings;
    pg = await truth(server.url());
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('lists never-scanned indexes above the size floor, never unique ones', () => {
    const unused = find(findings, 'unused', N.unused)!;
    expect(unused).toMatchObject({
      schema: 'public',
      table: N.table,
      definition: pg.get(N.unused)!.definition,
      sizeBytes: pg.get(N.unused)!.size,
    });
    expect(pg.get(N.unused)!.idx_scan).toBe(0);
    expect(pg.get(N.unused)!.size).toBeGreaterThan(1024 * 1024);
    const unusedTruth = [...pg.values()].filter(
      (t) => t.idx_scan === 0 && t.valid && !t.unique && t.size >= 1024 * 1024 && !t.index.endsWith('_pkey'),
    );
    expect(findings.totals.unused).toBe(unusedTruth.length);
    expect(findings.totalBytes.unused).toBe(unusedTruth.reduce((total, t) => total + t.size, 0));
    for (const index of flagged(findings, 'unused'))
      expect(pg.get(index!)).toMatchObject({ idx_scan: 0, unique: false, valid: true });
    expect(flagged(findings, 'unused')).not.toContain(N.unique);
    expect(flagged(findings, 'unused')).not.toContain(`${N.table}_pkey`);
    expect(result.report.actions).toContainEqual(
      expect.objectContaining({
        action: 'drop-index',
        params: expect.objectContaining({ index: `"public"."${N.unused}"` }),
      }),
    );
  });

  it('flags the exact duplicate (not the original) and the prefix, naming what covers them', () => {
    expect(find(findings, 'duplicate', N.exactDuplicate)).toMatchObject({
      coveredBy: N.exactOriginal,
      redundancy: 'exact',
    });
    expect(pg.get(N.exactDuplicate)!.keys).toBe(pg.get(N.exactOriginal)!.keys);
    const prefix = find(findings, 'duplicate', N.prefix)!;
    expect(prefix).toMatchObject({
      coveredBy: N.prefixCover,
      redundancy: 'prefix',
      definition: pg.get(N.prefix)!.definition,
    });
    expect(pg.get(N.prefixCover)!.keys.startsWith(`${pg.get(N.prefix)!.keys} `)).toBe(true);
    expect(prefix.reason).toContain(`is the leading column of ${N.prefixCover}`);
    expect(result.report.actions).toContainEqual(
      expect.objectContaining({
        action: 'drop-index',
        params: expect.objectContaining({ index: `"public"."${N.exactDuplicate}"` }),
      }),
    );
  });

  it('never calls a unique index, an INCLUDE index, a different predicate or opclass redundant', () => {
    expect(flagged(findings, 'duplicate')).toEqual([N.prefix, N.exactDuplicate].sort());
    expect(pg.get(N.unique)!.unique).toBe(true);
    if (major >= 15) expect(pg.get(N.nullsNotDistinct)).toMatchObject({ unique: true, keys: pg.get(N.unique)!.keys });
  });

  it('lists the invalid index left by the failed concurrent unique build, with a reindex action', () => {
    expect(pg.get(N.invalid)!.valid).toBe(false);
    expect(find(findings, 'invalid', N.invalid)).toMatchObject({ table: N.table, sizeBytes: pg.get(N.invalid)!.size });
    expect(flagged(findings, 'invalid')).toEqual([...pg.values()].filter((t) => !t.valid).map((t) => t.index));
    expect(result.report.actions).toContainEqual(
      expect.objectContaining({
        action: 'reindex',
        params: expect.objectContaining({ index: `"public"."${N.invalid}"` }),
      }),
    );
    const keys = result.report.actions.map((a) => `${a.action} ${a.params.index}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(result.status).toBe('warn');
  });

  it('names the sequentially scanned table as a missing-index suspect, and shows the statistics reset', async () => {
    const suspect = find(findings, 'missing', null, N.seqScanned)!;
    const client = await connect(server.url());
    const counters = await client.query(
      'SELECT seq_scan::float8 AS "seqScans", seq_tup_read::float8 AS "seqRowsRead", coalesce(idx_scan, 0)::float8 AS "indexScans", n_live_tup::float8 AS "liveRows" FROM pg_stat_user_tables WHERE relname = $1',
      [N.seqScanned],
    );
    const reset = await client.query<{ stats_reset: string | null }>(
      'SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()',
    );
    await client.end();
    expect(suspect).toMatchObject(counters.rows[0]);
    expect(suspect.seqScans).toBeGreaterThanOrEqual(60);
    // ip_orders was scanned sequentially only by its index builds: not enough to make it a suspect
    expect(find(findings, 'missing', null, N.table)).toBeUndefined();
    expect(suspect.indexScans).toBe(0);
    expect(findings.statsReset).toBe(reset.rows[0]!.stats_reset);
    expect(result.report.sections[0]).toMatchObject({ kind: 'facts', facts: [{ label: 'Scan statistics reset' }] });
  });

  it('applies the size floor', async () => {
    const floor = await run(target, 'indexes', ['--min-size', '1GB']);
    expect((floor.findings as IndexesFindings).indexes.filter((f) => f.problem === 'unused')).toEqual([]);
  });
});

describe('indexes while another session builds or drops an index', () => {
  let server: TestServer;
  let target: Target;

  beforeAll(async () => {
    server = await startTestServer(18);
    await createIndexProblems(server.url());
    target = testTarget(server.url());
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('leaves out the invalid index a running CREATE INDEX CONCURRENTLY has registered', async () => {
    const build = await startIndexBuild(server.url(), N.table, 'ip_orders_created_building');
    try {
      const client = await connect(server.url());
      const state = await client.query('SELECT indisvalid FROM pg_index WHERE indexrelid = $1::regclass', [
        build.index,
      ]);
      await client.end();
      expect(state.rows).toEqual([{ indisvalid: false }]);
      const findings = (await run(target, 'indexes')).findings as IndexesFindings;
      expect(find(findings, 'invalid', build.index)).toBeUndefined();
      expect(find(findings, 'invalid', N.invalid)).toBeDefined();
      expect(findings.invalidBeingBuilt).toBe(1);
      await build.finish();
    } finally {
      await build.close();
    }
  });

  it('answers while a migration holds ACCESS EXCLUSIVE on the table, and says what it skipped', async () => {
    const locker = await connect(server.url(), 'scenario-locker');
    try {
      await locker.query('BEGIN');
      await locker.query(`DROP INDEX ${N.exactDuplicate}`);
      const result = await run(target, 'indexes', ['--min-size', '0']);
      const findings = result.findings as IndexesFindings;
      expect(findings.lockedRelations).toEqual(expect.arrayContaining([N.table, N.exactDuplicate]));
      expect(findings.indexes.filter((f) => f.problem === 'duplicate' && f.table === N.table)).toEqual([]);
      expect(
        findings.indexes.filter((f) => f.table === N.table && f.index !== null).every((f) => f.definition === null),
      ).toBe(true);
      expect(result.report.footnotes.join(' ')).toMatch(/Another session holds ACCESS EXCLUSIVE on .*ip_orders/);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });
});
