import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SequencesFindings } from '../../commands/sequences.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

// sequences looks a column up only for the sequences that can still rank among --limit (commands/sequences/sql.ts).
// These sequences rank high only through the column they feed, among decoys that could (fuller ones) or cannot
// (never used) rank high against some column: a short --limit must list exactly the first rows of the full ranking,
// with the same figures.
const SCENARIO = `
  DO $$ BEGIN FOR i IN 1..40 LOOP
    EXECUTE format('CREATE TABLE decoy_%s (id bigserial)', i);
    EXECUTE format('SELECT setval(%L, %s)', 'decoy_' || i || '_id_seq', i * 1000);
    EXECUTE format('CREATE TABLE unused_%s (id bigserial)', i);
  END LOOP; END $$;
  CREATE SEQUENCE behind_smallint AS bigint;
  CREATE TABLE small_t (id smallint DEFAULT nextval('behind_smallint'));
  SELECT setval('behind_smallint', 30000);
  CREATE SEQUENCE down_behind_int AS bigint INCREMENT -1 MINVALUE -9223372036854775808 MAXVALUE -1;
  CREATE TABLE down_t (id int DEFAULT nextval('down_behind_int'));
  SELECT setval('down_behind_int', -2000000000);
  CREATE SEQUENCE own_max MAXVALUE 1000;
  SELECT setval('own_max', 900);
  CREATE SEQUENCE two_columns AS bigint;
  CREATE TABLE wide_t (id bigint DEFAULT nextval('two_columns'));
  CREATE TABLE narrow_t (id smallint DEFAULT nextval('two_columns'));
  SELECT setval('two_columns', 20000);
  CREATE DOMAIN small_code AS smallint;
  CREATE SEQUENCE coded AS bigint;
  CREATE TABLE coded_t (id small_code DEFAULT nextval('coded'));
  SELECT setval('coded', 25000);
  CREATE SEQUENCE int_seq AS integer;
  CREATE TABLE big_t (id bigint DEFAULT nextval('int_seq'));
  SELECT setval('int_seq', 1500000000);`;

/** Percent used, from the limits each sequence was given above (the column's where it binds). */
function expected(): Array<[string, number]> {
  const bigMax = 2 ** 63; // bigint's maximum, as near as a double gets
  const rows: Array<[string, number]> = [
    ['behind_smallint', (100 * (30000 - 1)) / (32767 - 1)],
    ['down_behind_int', (100 * (-1 - -2000000000)) / (-1 - -2147483648)],
    ['own_max', (100 * (900 - 1)) / (1000 - 1)],
    ['two_columns', (100 * (20000 - 1)) / (32767 - 1)],
    ['coded', (100 * (25000 - 1)) / (32767 - 1)],
    ['int_seq', (100 * (1500000000 - 1)) / (2147483647 - 1)],
  ];
  for (let i = 1; i <= 40; i++) {
    rows.push([`decoy_${i}_id_seq`, (100 * (i * 1000 - 1)) / (bigMax - 1)]);
    rows.push([`unused_${i}_id_seq`, 0]);
  }
  return rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

let server: TestServer;
let target: Target;

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url());
  const client = await connect(server.url(), 'scenario-ranking');
  await client.query(SCENARIO);
  await client.end();
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

const listed = async (limit: number) =>
  ((await run(target, 'sequences', ['--limit', String(limit)])).findings as SequencesFindings).sequences;

describe('sequences ranking with a short --limit', () => {
  it('ranks every sequence against the column it feeds', async () => {
    const all = await listed(500);
    const truth = expected();
    expect(all.map((s) => s.sequence)).toEqual(truth.map(([name]) => name));
    for (const [i, s] of all.entries()) expect(s.percentUsed).toBeCloseTo(truth[i]![1], 9);
    expect(all.find((s) => s.sequence === 'two_columns')).toMatchObject({
      column: 'narrow_t.id',
      limitSource: 'column',
    });
  });

  it('lists exactly the first rows of the full ranking, figures and columns included', async () => {
    const all = await listed(500);
    for (const limit of [1, 2, 3, 4, 6, 7, 50]) expect(await listed(limit)).toEqual(all.slice(0, limit));
  });
});
