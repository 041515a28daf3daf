import { applyQueryText } from '../../report/query-text.js';
import type { Report, Section, Status, SuggestedAction } from '../../report/model.js';
import { escapeInline, escapeMrkdwn, escapePlain } from './escape.js';
import type { Button, KnownBlock } from './kit.js';
import {
  BUDGET,
  LIMITS,
  actionsBlocks,
  blockTextLength,
  buttonElement,
  clip,
  contextBlock,
  fieldSections,
  headerBlock,
  preformattedBlock,
  sectionBlock,
} from './limits.js';
import { followUpButton } from './follow-up.js';
import { dataTableBlocks, wantsDataTable } from './data-table.js';
import { type RenderedTable, nativeTableBlocks, tableBlocks } from './table.js';

type TableSection = Extract<Section, { kind: 'table' }>;
/** Text kept free for the "…and N more" line and the context block's cut notes. */
const NOTE_ROOM = 200;

export const STATUS_EMOJI: Record<Status, string> = {
  ok: ':large_green_circle:',
  warn: ':large_yellow_circle:',
  crit: ':red_circle:',
};
const FACT_MARK: Record<Status, string> = { ok: '', warn: ':warning: ', crit: ':bangbang: ' };

/** Prefix of every suggested-action button's action_id; the healing flow listens for it. */
export const ACTION_ID_PREFIX = 'pgmedic_action:';

export interface RenderOptions {
  /**
   * Rows shown per table before "…and N more" (help shows everything). A table that becomes a data table pages
   * instead: it holds up to 100 rows, as many as its share of the message's text allows.
   */
  maxTableRows?: number;
  /** Said under a report that was cut, e.g. where the full data went. */
  overflowNote?: string;
  /**
   * One table as Slack's native grid, a table or a data table block (messages only, ephemeral ones included;
   * false for the App Home and modals, where tables stay text). Default true.
   */
  nativeTable?: boolean;
  /** Suggested-action buttons: their opaque values (one per action), or why there are none. Omitted: no buttons. */
  actions?: ActionButtons;
  /** Follow-up buttons (Explain per statement) run on this target. Omitted: no follow-up buttons. */
  followUpTarget?: string;
}

/** Values are offer ids stored in the state database, never the pid or SQL. */
export type ActionButtons = { values: readonly string[] } | { unavailable: string };

export interface RenderedMessage {
  /** Notification and accessibility fallback. */
  text: string;
  blocks: KnownBlock[];
  /** Something was left out: a table was cut or trailing sections did not fit. */
  truncated: boolean;
}

/** Block Kit for a Report: header with status, summary, sections, action buttons, context line. */
export function reportMessage(
  given: Report,
  contextText: string | undefined,
  options: RenderOptions = {},
): RenderedMessage {
  const report = applyQueryText(given);
  const head: KnownBlock[] = [
    headerBlock(`${STATUS_EMOJI[report.status]} ${escapePlain(report.title)}`),
    sectionBlock(escapeMrkdwn(report.summary)),
  ];
  const values = options.actions && 'values' in options.actions ? options.actions.values : [];
  const suggested = actionsBlocks(
    report.actions.flatMap((action, i) => (values[i] ? [actionButton(action, i, values[i])] : [])),
  );
  const maxRows = options.maxTableRows ?? 15;
  const firstTable = report.sections.findIndex((s) => s.kind === 'table');
  // Room for follow-up buttons is kept for every row the first table could show; the final block has only
  // the rows it did show.
  const reserved = [...suggested, ...followUpBlocks(report, options.followUpTarget, LIMITS.dataTableRows - 1)];
  const body: KnownBlock[] = [];
  let hiddenRows = 0;
  let skippedSections = 0;
  let firstTableShown = 0;
  const grid = options.nativeTable === false ? -1 : gridSection(report.sections);
  report.sections.forEach((section, index) => {
    const room = BUDGET.totalBlockText - blockTextLength([...head, ...body, ...reserved]) - NOTE_ROOM;
    const rendered =
      index === grid && section.kind === 'table'
        ? nativeGrid(section, maxRows, report.title, room)
        : sectionBlocks(section, maxRows);
    const candidate = [...head, ...body, ...rendered.blocks, ...reserved];
    if (
      skippedSections ||
      candidate.length > BUDGET.messageBlocks ||
      blockTextLength(candidate) > BUDGET.totalBlockText
    ) {
      skippedSections++;
      return;
    }
    body.push(...rendered.blocks);
    hiddenRows += rendered.hiddenRows;
    if (index === firstTable && section.kind === 'table') firstTableShown = section.rows.length - rendered.hiddenRows;
  });
  const actions = [...suggested, ...followUpBlocks(report, options.followUpTarget, firstTableShown)];
  const truncated = hiddenRows > 0 || skippedSections > 0;
  const context = [
    ...(contextText ? [escapeMrkdwn(contextText)] : []),
    ...report.footnotes.map((note) => escapeMrkdwn(note)),
    ...(report.actions.length && options.actions && 'unavailable' in options.actions
      ? [`_${escapeMrkdwn(options.actions.unavailable)}._`]
      : []),
    ...(skippedSections
      ? [`_…and ${skippedSections} more ${skippedSections === 1 ? 'section' : 'sections'} that did not fit_`]
      : []),
    ...(truncated && options.overflowNote ? [escapeMrkdwn(options.overflowNote)] : []),
  ];
  return {
    text: clip(escapeMrkdwn(`${report.title}: ${report.summary}`), LIMITS.messageText),
    blocks: [...head, ...body, ...actions, ...(context.length ? [contextBlock(context)] : [])],
    truncated,
  };
}

function sectionBlocks(section: Section, maxTableRows: number): RenderedTable {
  const title = section.title ? `*${escapeMrkdwn(section.title)}*` : undefined;
  switch (section.kind) {
    case 'facts':
      return {
        blocks: fieldSections(
          title,
          section.facts.map(
            (f) => `*${escapeMrkdwn(f.label)}*\n${FACT_MARK[f.status ?? 'ok']}${escapeInline(f.value) || '–'}`,
          ),
        ),
        hiddenRows: 0,
      };
    case 'table':
      return tableBlocks(section, maxTableRows);
    case 'code':
      return { blocks: [preformattedBlock(section.title, section.text || ' ')], hiddenRows: 0 };
    case 'text':
      return { blocks: [sectionBlock([title, escapeMrkdwn(section.text)].filter(Boolean).join('\n'))], hiddenRows: 0 };
  }
}

/**
 * One block of at most 25 buttons, only for rows the first table shows: a button for a row cut from the table
 * would point at a statement the reader cannot see.
 */
function followUpBlocks(report: Report, target: string | undefined, shownRows: number): KnownBlock[] {
  if (!target || !report.followUps?.length) return [];
  const shown = report.followUps
    .filter((followUp) => followUp.row === undefined || followUp.row < shownRows)
    .slice(0, LIMITS.actionsElements);
  return actionsBlocks(shown.map((followUp, i) => followUpButton(target, followUp, i)));
}

/**
 * Slack allows one table block per message, so one table gets the native grid: the one with the most rows
 * (the first on a tie), where a grid helps most; the others stay text. -1 when no table has rows.
 */
function gridSection(sections: Section[]): number {
  let best = -1;
  sections.forEach((section, i) => {
    const rows = section.kind === 'table' ? section.rows.length : 0;
    const bestRows = best < 0 ? 0 : (sections[best] as TableSection).rows.length;
    if (rows > bestRows) best = i;
  });
  return best;
}

/** A data table when the rows run past a phone screen, else a table block; text when neither fits. */
function nativeGrid(section: TableSection, maxRows: number, caption: string, room: number): RenderedTable {
  if (!wantsDataTable(section)) return nativeTableBlocks(section, maxRows);
  return dataTableBlocks(section, caption, Math.min(room, BUDGET.dataTableText)) ?? sectionBlocks(section, maxRows);
}

/** The value is the opaque offer id: what it stands for (action, target, pid…) stays in the state database. */
function actionButton(action: SuggestedAction, index: number, value: string): Button {
  return buttonElement({
    text: escapePlain(action.label),
    actionId: `${ACTION_ID_PREFIX}${action.action}:${index}`,
    value,
    ...(action.style ? { style: action.style } : {}),
    ...(action.style === 'danger'
      ? {
          confirm: {
            title: 'Request approval?',
            text: `${escapePlain(action.label)} runs only after a second person approves it.`,
            confirm: 'Request approval',
            deny: 'Cancel',
          },
        }
      : {}),
  });
}
