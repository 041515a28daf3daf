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
import { nativeTableBlocks, tableBlocks } from './table.js';

export const STATUS_EMOJI: Record<Status, string> = {
  ok: ':large_green_circle:',
  warn: ':large_yellow_circle:',
  crit: ':red_circle:',
};
const FACT_MARK: Record<Status, string> = { ok: '', warn: ':warning: ', crit: ':bangbang: ' };

/** Prefix of every suggested-action button's action_id; the healing flow listens for it. */
export const ACTION_ID_PREFIX = 'pgmedic_action:';

export interface RenderOptions {
  /** Rows shown per table before "…and N more" (help shows everything). */
  maxTableRows?: number;
  /** Said under a report that was cut, e.g. where the full data went. */
  overflowNote?: string;
  /** The first table as Slack's native table block (messages only; false for other surfaces). Default true. */
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
  const actions = [
    ...actionsBlocks(report.actions.flatMap((action, i) => (values[i] ? [actionButton(action, i, values[i])] : []))),
    ...followUpBlocks(report, options),
  ];
  const body: KnownBlock[] = [];
  let hiddenRows = 0;
  let skippedSections = 0;
  // Slack allows one table block per message: the first table with rows gets it, the rest stay text.
  let native = options.nativeTable !== false;
  for (const section of report.sections) {
    const asNative = native && section.kind === 'table' && section.rows.length > 0;
    const rendered = asNative
      ? nativeTableBlocks(section, options.maxTableRows ?? 15)
      : sectionBlocks(section, options.maxTableRows ?? 15);
    const candidate = [...head, ...body, ...rendered.blocks, ...actions];
    if (
      skippedSections ||
      candidate.length > BUDGET.messageBlocks ||
      blockTextLength(candidate) > BUDGET.totalBlockText
    ) {
      skippedSections++;
      continue;
    }
    body.push(...rendered.blocks);
    hiddenRows += rendered.hiddenRows;
    if (asNative) native = false;
  }
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

function sectionBlocks(section: Section, maxTableRows: number): { blocks: KnownBlock[]; hiddenRows: number } {
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
 * One block of at most 25 buttons, only for rows the table shows: a button for a row cut from the table would
 * point at a statement the reader cannot see.
 */
function followUpBlocks(report: Report, options: RenderOptions): KnownBlock[] {
  const target = options.followUpTarget;
  if (!target || !report.followUps?.length) return [];
  const shownRows = options.maxTableRows ?? 15;
  const shown = report.followUps
    .filter((followUp) => followUp.row === undefined || followUp.row < shownRows)
    .slice(0, LIMITS.actionsElements);
  return actionsBlocks(shown.map((followUp, i) => followUpButton(target, followUp, i)));
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
