import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexesFindings } from '../../commands/indexes.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

/**
 * The unused indexes are measured in two parts (by oid) and merged: the merged list must be PostgreSQL's own
 * order (size, then schema and index name in the C collation of `name`) also where sizes tie across the parts.
 */
const NAMES = [
  'a_idx',
  'B_idx',
  'b_idx',
  'Z_idx',
  'é_idx',
  'zz_idx',
  'A_idx',
  '_idx',
  'ä_idx',
  'e_idx',
  'Ω_idx',
  '0_idx',
];
const SEED = `
CREATE SCHEMA "Upper"; CREATE SCHEMA lower;
CREATE TABLE "Upper".t (v int); CREATE TABLE lower.t (v int);
CREATE TABLE lower.filled (v int); INSERT INTO lower.filled SELECT generate_series(1, 20000);
CREATE INDEX big_one ON lower.filled (v); CREATE INDEX big_two ON lower.filled (v DESC);
${NAMES.map((name, i) => `CREATE INDEX "${name}" ON ${i % 2 ? '"Upper"' : 'lower'}.t (v);`).join('\n')}`;

/** The same ranking asked of PostgreSQL directly: never scanned, not unique, in the schemas above. */
const TRUTH = `
SELECT n.nspname AS schema, c.relname AS index, pg_relation_size(c.oid)::float8 AS size
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('Upper', 'lower') AND NOT i.indisunique AND pg_stat_get_numscans(c.oid) = 0
ORDER BY size DESC, n.nspname, c.relname`;

describe.each([18, 14] as const)('indexes --min-size 0 on PostgreSQL %i: unused indexes in two parts', (major) => {
  let server: TestServer;
  let target: Target;
  let truth: { schema: string; index: string; size: number }[];

  beforeAll(async () => {
    server = await startTestServer(major);
    const client = await connect(server.url(), 'seed');
    await client.query(SEED);
    truth = (await client.query(TRUTH)).rows;
    await client.end();
    target = testTarget(server.url());
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it.each([3, 5, 9])(
    '--limit %i lists the first indexes in PostgreSQL’s order, totals over all of them',
    async (limit) => {
      const findings = (await run(target, 'indexes', ['--min-size', '0', '--limit', String(limit)]))
        .findings as IndexesFindings;
      const unused = findings.indexes.filter((f) => f.problem === 'unused');
      expect(truth.length).toBe(NAMES.length + 2);
      expect(unused.map((f) => [f.schema, f.index, f.sizeBytes])).toEqual(
        truth.slice(0, limit).map((t) => [t.schema, t.index, t.size]),
      );
      expect(findings.totals.unused).toBe(truth.length);
      expect(findings.totalBytes.unused).toBe(truth.reduce((sum, t) => sum + t.size, 0));
    },
  );
});

// KOI8-R orders Cyrillic letters unlike Unicode (ц is 0xC3, д is 0xC4; U+0446 after U+0434): the merge must
// follow the server's bytes, not UTF-8's.
describe('indexes --min-size 0 in a KOI8-R database: unused indexes merged in the server’s byte order', () => {
  let server: TestServer;
  let target: Target;
  let truth: { index: string }[];

  beforeAll(async () => {
    server = await startTestServer(18);
    const admin = await connect(server.url(), 'seed');
    await admin.query(`CREATE DATABASE koi TEMPLATE template0 ENCODING 'KOI8R' LC_COLLATE 'C' LC_CTYPE 'C'`);
    await admin.end();
    const client = await connect(server.url('koi'), 'seed');
    await client.query(
      `CREATE TABLE t (v int); ${['д', 'ц', 'а', 'б', 'ж'].map((c) => `CREATE INDEX "${c}" ON t (v);`).join(' ')}`,
    );
    truth = (
      await client.query(
        `SELECT relname AS index FROM pg_class WHERE relname IN ('д', 'ц', 'а', 'б', 'ж') ORDER BY relname`,
      )
    ).rows;
    await client.end();
    target = testTarget(server.url('koi'));
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('lists them as PostgreSQL sorts them there', async () => {
    const findings = (await run(target, 'indexes', ['--min-size', '0', '--limit', '3'])).findings as IndexesFindings;
    expect(truth.map((t) => t.index)).toEqual(['а', 'б', 'ц', 'д', 'ж']);
    expect(findings.indexes.filter((f) => f.problem === 'unused').map((f) => f.index)).toEqual(['а', 'б', 'ц']);
  });
});
