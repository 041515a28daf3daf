import { visibleText } from './escape.js';
import type {
  Button,
  ContextBlock,
  DataTableBlock,
  HeaderBlock,
  KnownBlock,
  RichTextBlock,
  SectionBlock,
  TableBlock,
} from './kit.js';

/**
 * Block Kit limits (shared/FIELD-NOTES.md §3). The renderer builds every block through the constructors
 * below, so each limit is enforced here once; validate.ts checks finished messages against the same numbers.
 */
export const LIMITS = {
  messageBlocks: 50,
  surfaceBlocks: 100,
  messageText: 4_000,
  /** Undocumented cap (`msg_blocks_too_long`) near 11,000 characters across blocks; stay well under it. */
  totalBlockText: 11_000,
  headerText: 150,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  contextElements: 10,
  contextText: 2_000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Table block (docs.slack.dev/reference/block-kit/blocks/table-block): messages only, one per message. */
  tablesPerMessage: 1,
  /** Rows including the header row. */
  tableRows: 100,
  tableCells: 20,
  tableColumnSettings: 20,
  /**
   * Data table block (docs.slack.dev/reference/block-kit/blocks/data-table-block): a header row (raw text or
   * numbers, never rich text) and 1–100 rows, 1–20 cells each, all rows the same length; a required caption;
   * page_size 1–100. Its cells hold at most 10,000 characters in all; a newer draft of the page applies the same
   * 10,000 to all data table cells of one message, which is kept too. The reference does not say where it may
   * appear; like the table block (messages only) it is kept out of the App Home and modals.
   */
  dataTableRows: 101,
  dataTableMinRows: 2,
  dataTableCells: 20,
  dataTableText: 10_000,
  dataTablePageSize: 100,
  preformattedText: 3_000,
} as const;

/** What the renderer allows itself, below the hard caps. */
export const BUDGET = {
  /** Total text the report renderer fills before it cuts and attaches. */
  totalBlockText: 9_000,
  /** Blocks the report renderer uses before it cuts (leaves room for the cut note). */
  messageBlocks: 45,
  /** A table cell is cut here so one cell cannot fill the message (Slack documents no per-cell cap). */
  tableCellText: 200,
  /**
   * A table with more rows than a phone screen shows becomes a data table, paged this many rows at a time
   * (Slack's default page is 5, too few for a list worth sorting).
   */
  dataTablePage: 10,
  /** Cell text one data table may fill, so the sections after it still fit in the message. */
  dataTableText: 5_000,
  /** Slack documents no caption length; one header's worth is plenty. */
  dataTableCaption: 150,
} as const;

/** Cuts to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Every text a block constructor puts in front of people: invisible and reordering characters gone, then cut. */
const shown = (text: string, max: number): string => clip(visibleText(text), max);

export function headerBlock(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: shown(text, LIMITS.headerText), emoji: true } };
}

/** A mrkdwn section; `text` must already be escaped. */
export function sectionBlock(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: shown(text, LIMITS.sectionText) } };
}

/** Sections of at most 10 fields each; only the first carries the title. */
export function fieldSections(title: string | undefined, fields: string[]): SectionBlock[] {
  const sections: SectionBlock[] = [];
  for (let start = 0; start < fields.length; start += LIMITS.sectionFields) {
    const chunk = fields
      .slice(start, start + LIMITS.sectionFields)
      .map((text) => ({ type: 'mrkdwn' as const, text: shown(text, LIMITS.fieldText) }));
    sections.push({
      type: 'section',
      ...(title && start === 0 ? { text: { type: 'mrkdwn', text: shown(title, LIMITS.sectionText) } } : {}),
      fields: chunk,
    });
  }
  return sections;
}

/** A context block of mrkdwn elements; extra elements are joined into the last one. */
export function contextBlock(elements: string[]): ContextBlock {
  const kept =
    elements.length <= LIMITS.contextElements
      ? elements
      : [...elements.slice(0, LIMITS.contextElements - 1), elements.slice(LIMITS.contextElements - 1).join(' · ')];
  return { type: 'context', elements: kept.map((text) => ({ type: 'mrkdwn', text: shown(text, LIMITS.contextText) })) };
}

/** Literal monospace text: rich text is never parsed for mentions or links, so database text needs no escaping. */
export function preformattedBlock(title: string | undefined, text: string): RichTextBlock {
  return {
    type: 'rich_text',
    elements: [
      ...(title
        ? [
            {
              type: 'rich_text_section' as const,
              elements: [{ type: 'text' as const, text: shown(title, LIMITS.headerText), style: { bold: true } }],
            },
          ]
        : []),
      { type: 'rich_text_preformatted', elements: [{ type: 'text', text: shown(text, LIMITS.preformattedText) }] },
    ],
  };
}

/** A table cell: literal text, or a status emoji (rich text, the only cell that shows one). */
export type TableCell = { text: string } | { emoji: string };

/**
 * A native table: the first row is the header; raw_text cells are shown literally, so database text needs no
 * escaping. Rows past the limit are the caller's to count ("…and N more"); an empty cell becomes "–" (raw_text
 * needs a character).
 */
export function tableBlock(align: ('left' | 'right')[], rows: TableCell[][]): TableBlock {
  return {
    type: 'table',
    column_settings: align
      .slice(0, LIMITS.tableColumnSettings)
      .map((a) => (a === 'right' ? { align: 'right' } : { align: 'left', is_wrapped: true })),
    rows: rows.slice(0, LIMITS.tableRows).map((row) =>
      row.slice(0, LIMITS.tableCells).map((cell) =>
        'emoji' in cell
          ? {
              type: 'rich_text',
              elements: [{ type: 'rich_text_section', elements: [{ type: 'emoji', name: cell.emoji }] }],
            }
          : { type: 'raw_text', text: shown(cell.text.replace(/\s+/g, ' ').trim(), BUDGET.tableCellText) || '–' },
      ),
    ),
  };
}

/** A data table cell: literal text, or a figure (sorted by `value`, shown as `text`, units included). */
export type DataCell = { text: string } | { value: number; text: string };

/** What one cell counts toward a data table's character cap (a number's digits included, to be safe). */
export function dataCellChars(cell: unknown): number {
  const number = cell && typeof cell === 'object' && 'value' in cell ? String(cell.value).length : 0;
  return blockTextLength(cell) + number;
}

/**
 * Slack's data table: the first row is the header. Rows past the limit are the caller's to count; raw text is
 * shown literally, so database text needs no escaping; a figure that is not finite becomes text.
 */
export function dataTableBlock(
  caption: string,
  rows: DataCell[][],
  options: { pageSize: number; rowHeaderColumn: number },
): DataTableBlock {
  const cell = (given: DataCell) => {
    const text = shown(given.text.replace(/\s+/g, ' ').trim(), BUDGET.tableCellText) || '–';
    return 'value' in given && Number.isFinite(given.value)
      ? { type: 'raw_number' as const, value: given.value, text }
      : { type: 'raw_text' as const, text };
  };
  return {
    type: 'data_table',
    caption: shown(caption, BUDGET.dataTableCaption) || 'Table',
    page_size: Math.min(Math.max(1, Math.round(options.pageSize)), LIMITS.dataTablePageSize),
    row_header_column_index: Math.max(0, Math.min(options.rowHeaderColumn, (rows[0]?.length ?? 1) - 1)),
    rows: rows.slice(0, LIMITS.dataTableRows).map((row) => row.slice(0, LIMITS.dataTableCells).map(cell)),
  };
}

export interface ButtonSpec {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function buttonElement(spec: ButtonSpec): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: shown(spec.text, LIMITS.buttonText), emoji: true },
    action_id: clip(spec.actionId, LIMITS.actionId),
    value: clip(spec.value, LIMITS.buttonValue),
    ...(spec.style ? { style: spec.style } : {}),
    ...(spec.confirm
      ? {
          confirm: {
            title: { type: 'plain_text', text: shown(spec.confirm.title, LIMITS.confirmTitle) },
            text: { type: 'plain_text', text: shown(spec.confirm.text, LIMITS.confirmText) },
            confirm: { type: 'plain_text', text: clip(spec.confirm.confirm, LIMITS.confirmButton) },
            deny: { type: 'plain_text', text: clip(spec.confirm.deny, LIMITS.confirmButton) },
          },
        }
      : {}),
  };
}

/** Buttons in actions blocks of at most 25 elements each. */
export function actionsBlocks(buttons: Button[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  for (let start = 0; start < buttons.length; start += LIMITS.actionsElements) {
    blocks.push({ type: 'actions', elements: buttons.slice(start, start + LIMITS.actionsElements) });
  }
  return blocks;
}

/** Characters a block contributes toward the message-wide text cap. */
export function blockTextLength(block: unknown): number {
  if (typeof block === 'string') return block.length;
  if (Array.isArray(block)) return block.reduce<number>((sum, item) => sum + blockTextLength(item), 0);
  if (block && typeof block === 'object') {
    return Object.entries(block).reduce<number>(
      (sum, [key, value]) =>
        sum +
        (key === 'text' && typeof value === 'string'
          ? value.length
          : typeof value === 'object'
            ? blockTextLength(value)
            : 0),
      0,
    );
  }
  return 0;
}
