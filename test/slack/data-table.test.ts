import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { formatBytes } from '../../src/report/format.js';
import type { Report } from '../../src/report/model.js';
import { LIMITS } from '../../src/slack/blocks/limits.js';
import { reportMessage } from '../../src/slack/blocks/report.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

type Cell = { type: string; text?: string; value?: number };
type DataTable = {
  type: 'data_table';
  caption: string;
  page_size: number;
  row_header_column_index: number;
  rows: Cell[][];
};

function valid<T extends { blocks: unknown[]; text?: string }>(message: T): T {
  expect(blockKitProblems(message)).toEqual([]);
  return message;
}
const dataTable = (message: { blocks: unknown[] }) =>
  message.blocks.find((b) => (b as { type: string }).type === 'data_table') as DataTable | undefined;

const base: Report = {
  title: 'Vacuum',
  status: 'crit',
  summary: 'Tables past their trigger.',
  sections: [],
  actions: [],
  footnotes: [],
};

describe('a table longer than a phone screen becomes a data table', () => {
  const names = Array.from({ length: 12 }, (_, i) => `table_${String(i).padStart(2, '0')}`);
  const section = {
    kind: 'table' as const,
    title: 'Tables furthest past their trigger',
    columns: [
      { header: 'table' },
      { header: 'dead', align: 'right' as const },
      { header: 'size', align: 'right' as const },
      { header: '×', align: 'right' as const },
      { header: 'last vacuum' },
    ],
    rows: names.map((name, i) => [
      name,
      (1_000 * (12 - i)).toLocaleString('en-US'),
      i % 2 ? `${900 - i} kB` : `${(3.5 - i / 10).toFixed(2)} MB`,
      i === 5 ? '–' : (4.5 - i / 4).toFixed(1),
      i === 0 ? 'never' : `${i}h ago`,
    ]),
    rowStatus: names.map((_, i) => (i < 2 ? ('crit' as const) : i < 5 ? ('warn' as const) : ('ok' as const))),
  };

  it('pages it, sorts figures as numbers with their units kept, and sorts the status by severity', () => {
    const table = dataTable(valid(reportMessage({ ...base, sections: [section] }, undefined)))!;
    expect({ ...table, rows: table.rows.slice(0, 3) }).toMatchInlineSnapshot(`
      {
        "caption": "Tables furthest past their trigger",
        "page_size": 10,
        "row_header_column_index": 1,
        "rows": [
          [
            {
              "text": "status",
              "type": "raw_text",
            },
            {
              "text": "table",
              "type": "raw_text",
            },
            {
              "text": "dead",
              "type": "raw_text",
            },
            {
              "text": "size",
              "type": "raw_text",
            },
            {
              "text": "×",
              "type": "raw_text",
            },
            {
              "text": "last vacuum",
              "type": "raw_text",
            },
          ],
          [
            {
              "text": "‼️",
              "type": "raw_number",
              "value": 2,
            },
            {
              "text": "table_00",
              "type": "raw_text",
            },
            {
              "text": "12,000",
              "type": "raw_number",
              "value": 12000,
            },
            {
              "text": "3.50 MB",
              "type": "raw_number",
              "value": 3670016,
            },
            {
              "text": "4.5",
              "type": "raw_text",
            },
            {
              "text": "never",
              "type": "raw_text",
            },
          ],
          [
            {
              "text": "‼️",
              "type": "raw_number",
              "value": 2,
            },
            {
              "text": "table_01",
              "type": "raw_text",
            },
            {
              "text": "11,000",
              "type": "raw_number",
              "value": 11000,
            },
            {
              "text": "899 kB",
              "type": "raw_number",
              "value": 920576,
            },
            {
              "text": "4.3",
              "type": "raw_text",
            },
            {
              "text": "1h ago",
              "type": "raw_text",
            },
          ],
        ],
        "type": "data_table",
      }
    `);
    // Every row is there (12 fit in one data table); the "–" kept the × column text (a raw_number needs a value).
    expect(table.rows).toHaveLength(13);
    expect(table.rows.map((row) => row[4]!.type)).toEqual(Array(13).fill('raw_text'));
    expect(table.rows.slice(1).map((row) => row[0]!.value)).toEqual([2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('keeps a table of a phone screen or less as a table block, and stays text where tables are not allowed', () => {
    const short = { ...section, rows: section.rows.slice(0, 10), rowStatus: section.rowStatus.slice(0, 10) };
    const message = valid(reportMessage({ ...base, sections: [short] }, undefined));
    expect(message.blocks.map((b) => b.type)).toContain('table');
    expect(dataTable(message)).toBeUndefined();
    const text = reportMessage({ ...base, sections: [section] }, undefined, { nativeTable: false });
    expect(blockKitProblems(text, 'home')).toEqual([]);
    expect(text.blocks.some((b) => b.type === 'table' || b.type === 'data_table')).toBe(false);
    expect(JSON.stringify(text.blocks)).toContain('table_11');
  });

  it('gives the one native grid to the table with the most rows; the others stay text', () => {
    const small = {
      kind: 'table' as const,
      title: 'Databases',
      columns: [{ header: 'db' }],
      rows: [['app'], ['postgres']],
    };
    const message = valid(
      reportMessage({ ...base, sections: [small, section, { ...section, title: 'Again' }] }, undefined),
    );
    expect(message.blocks.filter((b) => b.type === 'data_table' || b.type === 'table')).toHaveLength(1);
    expect(dataTable(message)!.caption).toBe('Tables furthest past their trigger');
    expect(JSON.stringify(message.blocks)).toContain('postgres');
  });

  it('uses the report title as the caption of an untitled table, and never lets database text become markup', () => {
    const evil = '<!channel> *bold* <https://evil.example|click>';
    const rows = Array.from({ length: 11 }, (_, i) => [evil, String(i)]);
    const message = valid(
      reportMessage(
        {
          ...base,
          sections: [{ kind: 'table', columns: [{ header: 'name' }, { header: 'n', align: 'right' }], rows }],
        },
        undefined,
      ),
    );
    const table = dataTable(message)!;
    expect(table.caption).toBe('Vacuum');
    expect(table.row_header_column_index).toBe(0);
    expect(table.rows[1]).toEqual([
      { type: 'raw_text', text: evil },
      { type: 'raw_number', value: 0, text: '0' },
    ]);
  });

  it('cuts at the text budget: "…and N more" below the table, the message marked truncated for the file in the thread', () => {
    const rows = Array.from({ length: 150 }, (_, i) => [`relation_${i}`, 'q'.repeat(150), `${i} kB`]);
    const columns = [{ header: 'relation' }, { header: 'query' }, { header: 'size', align: 'right' as const }];
    const message = valid(
      reportMessage({ ...base, sections: [{ kind: 'table', columns, rows }] }, undefined, {
        overflowNote: 'Full report in the thread.',
      }),
    );
    const shown = dataTable(message)!.rows.length - 1;
    expect(shown).toBeGreaterThan(BUDGETLESS_MINIMUM);
    expect(shown).toBeLessThan(LIMITS.dataTableRows - 1);
    expect(message.truncated).toBe(true);
    expect(JSON.stringify(message.blocks)).toContain(`…and ${150 - shown} more`);
    expect(JSON.stringify(message.blocks.at(-1))).toContain('Full report in the thread.');
    // Short rows: 100 fit, the 101st and on are counted.
    const many = Array.from({ length: 130 }, (_, i) => [`t${i}`, `${i} kB`]);
    const paged = valid(
      reportMessage(
        { ...base, sections: [{ kind: 'table', columns: [columns[0]!, columns[2]!], rows: many }] },
        undefined,
      ),
    );
    expect(dataTable(paged)!.rows).toHaveLength(LIMITS.dataTableRows);
    expect(JSON.stringify(paged.blocks)).toContain('…and 30 more');
  });
});

/** More rows than the old 15-row cut: paging is what lets the message hold them. */
const BUDGETLESS_MINIMUM = 15;

describe('data table limits in the one validator', () => {
  const cell = (text: string) => ({ type: 'raw_text', text });
  const ok = { type: 'data_table', caption: 'c', rows: [[cell('h')], [cell('r')]] };

  it('finds what Slack would refuse', () => {
    const problems = blockKitProblems({
      blocks: [
        { type: 'data_table', rows: [[cell('only a header')]] },
        {
          type: 'data_table',
          caption: 'c',
          page_size: 0,
          row_header_column_index: 2,
          rows: [
            [{ type: 'rich_text', elements: [] }, cell('h')],
            [cell('a'), { type: 'raw_number', text: '1' }],
            [cell('b')],
          ],
        },
        { type: 'data_table', caption: 'c', page_size: 101, rows: Array.from({ length: 102 }, () => [cell('r')]) },
        {
          type: 'data_table',
          caption: 'c',
          rows: [Array.from({ length: 21 }, () => cell('h')), Array.from({ length: 21 }, () => cell('r'))],
        },
        { type: 'data_table', caption: 'c', rows: [[cell('h')], [cell('x'.repeat(10_001))]] },
        { type: 'data_table', caption: 'c', rows: [[cell('h')], [{ type: 'raw_number', value: 1, text: '' }]] },
      ],
    });
    expect(problems).toMatchInlineSnapshot(`
      [
        "data table cells hold 10165 characters in all, more than 10000",
        "block 0 (data_table): 1 rows, a data table needs a header row and 1–100 rows",
        "block 0 (data_table): a data table needs a caption",
        "block 1 (data_table): rows have different numbers of cells",
        "block 1 (data_table): a header cell cannot be rich_text",
        "block 1 (data_table): page_size must be 1–100",
        "block 1 (data_table): row_header_column_index is not a column",
        "block 1 (data_table): a raw_number cell needs a numeric value",
        "block 2 (data_table): 102 rows, a data table needs a header row and 1–100 rows",
        "block 2 (data_table): page_size must be 1–100",
        "block 3 (data_table): rows need 1–20 cells",
        "block 4 (data_table): cells hold 10002 characters, more than 10000",
        "block 5 (data_table): a raw_number cell needs its text",
      ]
    `);
  });

  it('refuses a data table outside messages, and too many table characters across one message', () => {
    expect(blockKitProblems({ blocks: [ok] }, 'home')).toEqual([
      'data_table blocks appear only in messages, not in a home',
    ]);
    expect(blockKitProblems({ blocks: [ok] }, 'modal')).toEqual([
      'data_table blocks appear only in messages, not in a modal',
    ]);
    const half = { ...ok, rows: [[cell('h')], [cell('x'.repeat(5_000))]] };
    expect(blockKitProblems({ blocks: [half, half] })).toEqual(
      expect.arrayContaining(['data table cells hold 10002 characters in all, more than 10000']),
    );
    expect(blockKitProblems({ blocks: [ok, ok] })).toEqual([]);
  });
});

describe('real reports from a real PostgreSQL 18: sizes of 40 tables, vacuum of 14', () => {
  let server: TestServer;
  let target: Target;
  beforeAll(async () => {
    server = await startTestServer(18);
    target = testTarget(server.url());
    await query(`DO $$ BEGIN FOR i IN 1..40 LOOP
        EXECUTE format('CREATE TABLE sized_%s AS SELECT g AS id, repeat(''x'', %s) AS pad FROM generate_series(1, %s) g', i, i * 7, i * 150);
        IF i % 3 = 0 THEN EXECUTE format('CREATE INDEX ON sized_%s (id)', i); END IF;
      END LOOP; END $$`);
  }, 120_000);
  /** Ground truth and setup, on a connection of the test's own. */
  async function query<R extends Record<string, unknown>>(sql: string, params: unknown[] = [], url = server.url()) {
    const client = await connect(url);
    try {
      return await client.query<R>(sql, params);
    } finally {
      await client.end();
    }
  }
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('pages the largest tables, each total a raw_number in the order of pg_table_size + pg_indexes_size', async () => {
    const result = await run(target, 'sizes', ['--limit', '40']);
    const message = valid(reportMessage(result.report, undefined));
    const table = dataTable(message)!;
    expect(table.caption).toMatch(/^Largest tables in /);
    const rows = table.rows.slice(1);
    expect(rows).toHaveLength(40);
    const names = rows.map((row) => row[0]!.text!);
    const truth = await query<{ name: string; bytes: string }>(
      `SELECT name, pg_table_size(name::regclass) + pg_indexes_size(name::regclass) AS bytes FROM unnest($1::text[]) AS name`,
      [names],
    );
    const bytes = new Map(truth.rows.map((r) => [r.name, Number(r.bytes)]));
    expect(rows.map((row) => row[1])).toEqual(
      names.map((name) => ({ type: 'raw_number', value: expect.any(Number), text: formatBytes(bytes.get(name)) })),
    );
    // Sorting by the raw_number puts the tables in PostgreSQL's own order (equal text, equal value).
    const byValue = [...rows].sort((a, b) => b[1]!.value! - a[1]!.value!).map((row) => bytes.get(row[0]!.text!)!);
    for (let i = 1; i < byValue.length; i++) expect(byValue[i]).toBeLessThanOrEqual(byValue[i - 1]!);
    // The databases table (a few rows) stays text; the indexes table, as text, is cut at 15 with the rest counted.
    expect(message.blocks.filter((b) => b.type === 'table' || b.type === 'data_table')).toHaveLength(1);
    expect(message.truncated).toBe(true);
    expect(JSON.stringify(message.blocks)).toMatch(/…and \d+ more/);
  });

  it("pages vacuum's tables: dead tuples as raw_numbers equal to PostgreSQL's counts, the status column by severity", async () => {
    // A database of its own, so the 40 tables above (never vacuumed, inserted into) do not outrank these.
    await query('CREATE DATABASE vacuum_rows');
    const database = server.url('vacuum_rows');
    const vacuumTarget = testTarget(database);
    await query(
      `DO $$ BEGIN FOR i IN 1..14 LOOP
      EXECUTE format('CREATE TABLE starve_%s (id int PRIMARY KEY) WITH (autovacuum_enabled = false)', i);
      EXECUTE format('INSERT INTO starve_%s SELECT generate_series(1, %s)', i, 1000 * i);
      EXECUTE format('ANALYZE starve_%s', i);
      EXECUTE format('DELETE FROM starve_%s WHERE id %% 10 < %s', i, 1 + i % 9);
    END LOOP; END $$`,
      [],
      database,
    );
    await query('SELECT pg_stat_force_next_flush()', [], database);
    const result = await run(vacuumTarget, 'vacuum', ['--limit', '20']).finally(() => vacuumTarget.close());
    const message = valid(reportMessage(result.report, undefined));
    const table = dataTable(message)!;
    const [header, ...rows] = table.rows;
    expect(header!.slice(0, 3).map((c) => c.text)).toEqual(['status', 'table', 'dead']);
    const truth = await query<{ relname: string; dead: string }>(
      "SELECT relname, n_dead_tup AS dead FROM pg_stat_user_tables WHERE relname LIKE 'starve\\_%'",
      [],
      database,
    );
    const starved = rows.filter((row) => row[1]!.text!.startsWith('starve_'));
    expect(starved).toHaveLength(14);
    expect(Object.fromEntries(starved.map((row) => [row[1]!.text, row[2]]))).toEqual(
      Object.fromEntries(
        truth.rows.map((r) => [
          r.relname,
          { type: 'raw_number', value: Number(r.dead), text: Number(r.dead).toLocaleString('en-US') },
        ]),
      ),
    );
    // The status cell ranks the report's own verdict per row: crit 2, warn 1, ok 0.
    const section = result.report.sections.find((s) => s.kind === 'table' && s.rows.length === rows.length);
    const rank = { ok: 0, warn: 1, crit: 2 };
    expect(rows.map((row) => row[0]!.value)).toEqual(
      section?.kind === 'table' ? section.rowStatus!.map((status) => rank[status]) : [],
    );
    expect(rows.some((row) => row[0]!.value! > 0)).toBe(true);
  });
});
