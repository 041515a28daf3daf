import type { Section, Status } from '../../report/model.js';
import { escapeMrkdwn, visibleText } from './escape.js';
import type { KnownBlock } from './kit.js';
import { LIMITS, clip, preformattedBlock, sectionBlock, tableBlock, type TableCell } from './limits.js';

type TableSection = Extract<Section, { kind: 'table' }>;

/** An aligned table wider than this wraps on a phone; wider tables become one line per row instead. */
export const PHONE_WIDTH = 56;
/** A cell in the one-line-per-row layout is cut here so one row cannot fill the message. */
const RECORD_CELL = 120;
/** Room kept in each block for the "…and N more" line. */
const CUT_NOTE_ROOM = 60;

export interface RenderedTable {
  blocks: KnownBlock[];
  hiddenRows: number;
}

/** A table readable on a phone: aligned monospace when narrow, one line per row when wide. Cut at `maxRows`. */
export function tableBlocks(section: TableSection, maxRows: number): RenderedTable {
  const title = section.title ? `*${escapeMrkdwn(section.title)}*` : undefined;
  if (!section.rows.length)
    return {
      blocks: [sectionBlock([title, `_${escapeMrkdwn(section.empty ?? 'none')}_`].filter(Boolean).join('\n'))],
      hiddenRows: 0,
    };
  const headers = section.columns.map((c) => c.header);
  const widths = headers.map((h, i) => Math.max(h.length, ...section.rows.map((r) => (r[i] ?? '').length)));
  const totalWidth = widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  return totalWidth <= PHONE_WIDTH
    ? alignedTable(section, widths, maxRows)
    : recordTable(section, section.title, maxRows);
}

/** The status column's marker: a dash for OK rows, so the eye goes to the others. */
const ROW_MARK: Record<Status, TableCell> = {
  ok: { text: '–' },
  warn: { emoji: 'warning' },
  crit: { emoji: 'bangbang' },
};

/**
 * Slack's native table (one per message): a header row, numbers right-aligned, the cells as literal raw text,
 * a status column first when the report marks rows. Rows past `maxRows` (or the block's limit) are counted below.
 */
export function nativeTableBlocks(section: TableSection, maxRows: number): RenderedTable {
  if (!section.rows.length) return tableBlocks(section, maxRows);
  const marks = section.rowStatus;
  const shown = section.rows.slice(0, Math.min(maxRows, LIMITS.tableRows - 1));
  const header = [...(marks ? [{ text: 'status' }] : []), ...section.columns.map((c) => ({ text: c.header }))];
  const rows = shown.map((row, r) => [
    ...(marks ? [ROW_MARK[marks[r] ?? 'ok']] : []),
    ...section.columns.map((_, i) => ({ text: row[i] ?? '' })),
  ]);
  const align = [...(marks ? ['left' as const] : []), ...section.columns.map((c) => c.align ?? 'left')];
  const hiddenRows = section.rows.length - shown.length;
  const title = section.title
    ? [
        {
          type: 'rich_text_section' as const,
          elements: [{ type: 'text' as const, text: visibleText(section.title), style: { bold: true } }],
        },
      ]
    : [];
  const cut = hiddenRows
    ? [
        {
          type: 'rich_text_section' as const,
          elements: [{ type: 'text' as const, text: `…and ${hiddenRows} more`, style: { italic: true } }],
        },
      ]
    : [];
  return {
    blocks: [
      ...(title.length ? [{ type: 'rich_text' as const, elements: title }] : []),
      tableBlock(align, [header, ...rows]),
      ...(cut.length ? [{ type: 'rich_text' as const, elements: cut }] : []),
    ],
    hiddenRows,
  };
}

function alignedTable(section: TableSection, widths: number[], maxRows: number): RenderedTable {
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (section.columns[i]?.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const lines = [line(section.columns.map((c) => c.header))];
  let shown = 0;
  for (const row of section.rows.slice(0, maxRows)) {
    const next = line(section.columns.map((_, i) => row[i] ?? ''));
    if (lines.join('\n').length + next.length + 1 > LIMITS.preformattedText - CUT_NOTE_ROOM) break;
    lines.push(next);
    shown++;
  }
  const hiddenRows = section.rows.length - shown;
  if (hiddenRows) lines.push(`…and ${hiddenRows} more`);
  return { blocks: [preformattedBlock(section.title, lines.join('\n'))], hiddenRows };
}

/**
 * One bullet per row, `first cell — header: value · header: value`, empty cells left out, as rich text: the
 * cells are database text (query text, names), and rich text shows them as they are, never as formatting.
 * Split over blocks of about 3,000 characters.
 */
function recordTable(section: TableSection, title: string | undefined, maxRows: number): RenderedTable {
  const chunks: RichTextSection[][] = [[]];
  let used = 0;
  for (const row of section.rows.slice(0, maxRows)) {
    const line = recordLine(section, row);
    const length = line.elements.reduce((sum, e) => sum + e.text.length, 0);
    if (used + length + 1 > LIMITS.sectionText - CUT_NOTE_ROOM && chunks[chunks.length - 1]!.length) {
      chunks.push([]);
      used = 0;
    }
    chunks[chunks.length - 1]!.push(line);
    used += length + 1;
  }
  const hiddenRows = section.rows.length - Math.min(section.rows.length, maxRows);
  const blocks: KnownBlock[] = chunks.map((lines, i) => ({
    type: 'rich_text',
    elements: [
      ...(i === 0 && title
        ? [
            {
              type: 'rich_text_section' as const,
              elements: [{ type: 'text' as const, text: visibleText(title), style: { bold: true } }],
            },
          ]
        : []),
      { type: 'rich_text_list' as const, style: 'bullet' as const, elements: lines },
      ...(i === chunks.length - 1 && hiddenRows
        ? [
            {
              type: 'rich_text_section' as const,
              elements: [{ type: 'text' as const, text: `…and ${hiddenRows} more`, style: { italic: true } }],
            },
          ]
        : []),
    ],
  }));
  return { blocks, hiddenRows };
}

interface RichTextSection {
  type: 'rich_text_section';
  elements: { type: 'text'; text: string; style?: { bold: boolean } }[];
}

function recordLine(section: TableSection, row: string[]): RichTextSection {
  const [first = '', ...rest] = row.map((cell) => clip(visibleText(cell).replace(/\s+/g, ' ').trim(), RECORD_CELL));
  const details = rest
    .map((cell, i) => (cell ? `${section.columns[i + 1]?.header ?? ''}: ${cell}` : ''))
    .filter(Boolean)
    .join(' · ');
  return {
    type: 'rich_text_section',
    elements: [
      { type: 'text', text: first || '–', style: { bold: true } },
      ...(details ? [{ type: 'text' as const, text: ` — ${details}` }] : []),
    ],
  };
}
