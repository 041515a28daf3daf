import { formatBytes, formatCount, formatMs, formatPercent } from '../../src/report/format.js';
import type { Column, Section } from '../../src/report/model.js';
import { queryColumn, querySection } from '../../src/report/query-text.js';

const BLOCK_SIZE_BYTES = 8192;

/** What both slow-queries tables show of a statement: since the last reset, or within a window. */
export interface StatementLine {
  queryId: string | null;
  meanMs: number;
  totalMs: number;
  percentOfTotal: number | null;
  calls: number;
  rows: number;
  query: string;
  database: string | null;
}

/** A column one of the two reports adds before the query text (hit %, temp, the window's note). */
export interface OwnColumn<S> {
  column: Column;
  cell: (statement: S) => string;
}

/** Temp blocks written, as bytes; empty when none, so the eye goes to the statements that spill. */
export const tempWritten = (blocks: number): string => (blocks ? formatBytes(blocks * BLOCK_SIZE_BYTES) : '');

/** The ranked table and the top statement in full, the layout of `slow-queries` with or without `--since`. */
export function statementSections<S extends StatementLine>(statements: S[], own: OwnColumn<S>[]): Section[] {
  if (!statements.length) return [];
  const right = 'right' as const;
  const top = statements[0]!;
  return [
    {
      kind: 'table',
      columns: [
        { header: '#', align: right },
        { header: 'queryid', align: right },
        { header: 'mean', align: right },
        { header: 'total', align: right },
        { header: '% time', align: right },
        { header: 'calls', align: right },
        { header: 'rows/call', align: right },
        ...own.map((o) => o.column),
        queryColumn('query', 70),
      ],
      rows: statements.map((s, i) => [
        String(i + 1),
        s.queryId ?? '–',
        formatMs(s.meanMs),
        formatMs(s.totalMs),
        formatPercent(s.percentOfTotal),
        formatCount(s.calls),
        s.calls ? formatCount(s.rows / s.calls) : '–',
        ...own.map((o) => o.cell(s)),
        s.query,
      ]),
    },
    querySection(`#1 in full${top.database ? ` (database ${top.database})` : ''}`, top.query, 600),
  ];
}
