import type { Section } from '../../report/model.js';
import { escapeInline, escapeMrkdwn } from './escape.js';
import type { KnownBlock } from './kit.js';
import { LIMITS, clip, preformattedBlock, sectionBlock } from './limits.js';

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
  if (!section.rows.length) return { blocks: [sectionBlock([title, `_${escapeMrkdwn(section.empty ?? 'none')}_`].filter(Boolean).join('\n'))], hiddenRows: 0 };
  const headers = section.columns.map((c) => c.header);
  const widths = headers.map((h, i) => Math.max(h.length, ...section.rows.map((r) => (r[i] ?? '').length)));
  const totalWidth = widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  return totalWidth <= PHONE_WIDTH ? alignedTable(section, widths, maxRows) : recordTable(section, title, maxRows);
}

function alignedTable(section: TableSection, widths: number[], maxRows: number): RenderedTable {
  const line = (cells: string[]) =>
    cells.map((cell, i) => (section.columns[i]?.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
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

/** `• *first cell* — header: value · header: value`, empty cells left out, split over sections of 3,000. */
function recordTable(section: TableSection, title: string | undefined, maxRows: number): RenderedTable {
  const chunks: string[][] = [title ? [title] : []];
  let shown = 0;
  for (const row of section.rows.slice(0, maxRows)) {
    const line = recordLine(section, row);
    const current = chunks[chunks.length - 1]!;
    if (current.join('\n').length + line.length + 1 > LIMITS.sectionText - CUT_NOTE_ROOM) chunks.push([]);
    chunks[chunks.length - 1]!.push(line);
    shown++;
  }
  const hiddenRows = section.rows.length - shown;
  if (hiddenRows) chunks[chunks.length - 1]!.push(`_…and ${hiddenRows} more_`);
  return { blocks: chunks.filter((c) => c.length).map((c) => sectionBlock(c.join('\n'))), hiddenRows };
}

function recordLine(section: TableSection, row: string[]): string {
  const [first = '', ...rest] = row.map((cell) => clip(cell.trim(), RECORD_CELL));
  const details = rest
    .map((cell, i) => (cell ? `${escapeMrkdwn(section.columns[i + 1]?.header ?? '')}: ${escapeInline(cell)}` : ''))
    .filter(Boolean)
    .join(' · ');
  return `• *${escapeInline(first) || '–'}*${details ? ` — ${details}` : ''}`;
}
