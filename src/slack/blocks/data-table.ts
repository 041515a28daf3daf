import type { Section, Status } from '../../report/model.js';
import type { KnownBlock } from './kit.js';
import { BUDGET, LIMITS, type DataCell, dataCellChars, dataTableBlock } from './limits.js';
import { numericColumn } from './numbers.js';
import type { RenderedTable } from './table.js';

type TableSection = Extract<Section, { kind: 'table' }>;

/** A table longer than one phone screen pages and sorts better than it scrolls: Slack's data table. */
export function wantsDataTable(section: TableSection): boolean {
  return section.rows.length > BUDGET.dataTablePage;
}

/**
 * The status column as a figure (crit 2, warn 1, ok 0) so sorting it brings the worst rows up; the marker is
 * its text. A data table's rows may hold rich text, but a rich-text column sorts by its text, not by severity.
 */
const STATUS_CELL: Record<Status, DataCell> = {
  ok: { value: 0, text: '–' },
  warn: { value: 1, text: '⚠️' },
  crit: { value: 2, text: '‼️' },
};

/**
 * Slack's data table for one report table. Figures in right-aligned columns become raw_number cells when the
 * whole column reads as one kind of figure: Slack then sorts the column numerically and aligns it as numbers,
 * while each cell keeps its formatted text, units included ("3.13 MB", "1h 2m"). Units stay in the cells rather
 * than the header because the formatters pick a unit per value (kB beside MB). Rows are added while their cell
 * text fits `textBudget` (and Slack's cap); the rest are counted for "…and N more". Undefined when not even
 * one row fits, so the caller can fall back to text.
 */
export function dataTableBlocks(
  section: TableSection,
  fallbackCaption: string,
  textBudget: number,
): RenderedTable | undefined {
  const marks = section.rowStatus;
  const numbers = section.columns.map((column, i) =>
    column.align === 'right' ? numericColumn(section.rows.map((row) => row[i] ?? '')) : undefined,
  );
  const header: DataCell[] = [
    ...(marks ? [{ text: 'status' }] : []),
    ...section.columns.map((c) => ({ text: c.header })),
  ];
  const budget = Math.min(textBudget, LIMITS.dataTableText);
  let used = header.reduce((sum, cell) => sum + dataCellChars(cell), 0);
  const rows: DataCell[][] = [];
  for (const [r, row] of section.rows.slice(0, LIMITS.dataTableRows - 1).entries()) {
    const cells: DataCell[] = [
      ...(marks ? [STATUS_CELL[marks[r] ?? 'ok']] : []),
      ...section.columns.map((_, i) => {
        const text = row[i] ?? '';
        const value = numbers[i]?.[r];
        return value === undefined ? { text } : { value, text };
      }),
    ];
    const length = cells.reduce((sum, cell) => sum + dataCellChars(cell), 0);
    if (used + length > budget) break;
    rows.push(cells);
    used += length;
  }
  if (!rows.length) return undefined;
  const hiddenRows = section.rows.length - rows.length;
  const table = dataTableBlock(section.title ?? fallbackCaption, [header, ...rows], {
    pageSize: BUDGET.dataTablePage,
    // The row's name, not its status marker, is what a screen reader should announce for each row.
    rowHeaderColumn: marks ? 1 : 0,
  });
  const cut: KnownBlock[] = hiddenRows
    ? [
        {
          type: 'rich_text',
          elements: [
            {
              type: 'rich_text_section',
              elements: [{ type: 'text', text: `…and ${hiddenRows} more`, style: { italic: true } }],
            },
          ],
        },
      ]
    : [];
  return { blocks: [table, ...cut], hiddenRows };
}
