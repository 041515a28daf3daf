import { isDestructive, showsQueryText } from '../../../actions/index.js';
import { applyQueryText, shownQueryText } from '../../report/query-text.js';
import type { Report, Section } from '../../report/model.js';
import type { ApprovalRequest } from '../../heal/types.js';
import { escapeInline, escapeMrkdwn, escapePlain } from './escape.js';
import type { KnownBlock } from './kit.js';
import {
  LIMITS,
  actionsBlocks,
  buttonElement,
  clip,
  contextBlock,
  fieldSections,
  headerBlock,
  preformattedBlock,
  sectionBlock,
} from './limits.js';
import type { PlainMessage } from './messages.js';
import { STATUS_EMOJI } from './report.js';

/** action_ids of the card's buttons; their value is the opaque request id, nothing else. */
export const APPROVE_ACTION_ID = 'pgmedic_approve';
export const REJECT_ACTION_ID = 'pgmedic_reject';

/** The preview's own "what will run" block; the card shows the stored statement with its values instead. */
const PREVIEW_STATEMENT_TITLE = 'What will run after approval';

const HEADLINE: Record<ApprovalRequest['status'], string> = {
  pending: ':raising_hand: Approval needed',
  approved: ':gear: Approved, running',
  succeeded: ':white_check_mark: Done',
  failed: ':x: Failed',
  target_changed: ':arrows_counterclockwise: Not run, target changed',
  rejected: ':no_entry_sign: Rejected',
  expired: ':hourglass: Expired',
  outcome_unknown: ':grey_question: Outcome unknown',
  interrupted: ':octagonal_sign: Interrupted',
};

/** A Slack user mention; ids come from Slack itself, anything else is shown as plain text. */
export const mention = (userId: string | null): string =>
  userId && /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId ?? 'pgmedic');

/** Slack renders this in each reader's time zone; the ISO text is the fallback. */
export const slackDate = (iso: string): string =>
  `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time_secs}|${escapeMrkdwn(iso)}>`;

/**
 * The approval card, from the stored request alone (any copy of the bot renders the same card): who asked,
 * exactly what and where, the exact SQL, the expiry, and either the buttons (pending) or the outcome.
 */
export function approvalCard(request: ApprovalRequest): PlainMessage & { blocks: KnownBlock[] } {
  const preview = previewOf(request);
  const title = `${HEADLINE[request.status]}: ${escapePlain(preview?.title ?? request.action)}`;
  const blocks: KnownBlock[] = [
    headerBlock(title),
    sectionBlock(
      `${mention(request.requestedBy)} asks to run \`${escapeMrkdwn(request.action)}\` on \`${escapeMrkdwn(request.target)}\`.${preview ? `\n${escapeMrkdwn(preview.summary)}` : ''}`,
    ),
    ...previewBlocks(preview),
    preformattedBlock('SQL that runs after approval', statementText(request, preview)),
    ...(request.status === 'pending' ? pendingBlocks(request) : [sectionBlock(outcomeText(request))]),
    contextBlock([
      `Request \`${escapeMrkdwn(request.id)}\``,
      `requested ${slackDate(request.createdAt)}`,
      ...(preview ? [] : ['no preview stored']),
    ]),
  ];
  return { text: clip(escapeMrkdwn(`${title} (${request.target})`), LIMITS.messageText), blocks };
}

function previewOf(request: ApprovalRequest): Report | undefined {
  const report = request.details.report as Report | undefined;
  return report && typeof report.title === 'string' && Array.isArray(report.sections)
    ? applyQueryText(report)
    : undefined;
}

/** The target exactly as the preview saw it: its facts (pid, user, client, backend start…) and its query text. */
function previewBlocks(preview: Report | undefined): KnownBlock[] {
  const sections = (preview?.sections ?? []).filter((s) => s.title !== PREVIEW_STATEMENT_TITLE).slice(0, 4);
  return sections.flatMap((section: Section): KnownBlock[] => {
    if (section.kind === 'facts')
      return fieldSections(
        section.title ? `*${escapeMrkdwn(section.title)}*` : undefined,
        section.facts.map((f) => `*${escapeMrkdwn(f.label)}*\n${escapeInline(f.value) || '–'}`),
      );
    if (section.kind === 'code') return [preformattedBlock(section.title, clip(section.text || ' ', 1_500))];
    if (section.kind === 'text') return [sectionBlock(clip(escapeMrkdwn(section.text), 1_500))];
    return [];
  });
}

/**
 * The stored statement and its bound values, exactly as they will be sent; a statement that carries query text
 * (EXPLAIN ANALYZE of a SELECT) is shown by the target's query-text setting, as its preview was.
 */
function statementText(request: ApprovalRequest, preview: Report | undefined): string {
  const values = request.statementValues.map((value, i) => `-- $${i + 1} = '${value.replace(/'/g, "''")}'`);
  const statement = showsQueryText(request.action)
    ? shownQueryText(request.statement.trim(), preview?.queryText)
    : request.statement.trim();
  return [statement, ...values].join('\n');
}

function pendingBlocks(request: ApprovalRequest): KnownBlock[] {
  const needed = request.approvalsRequired - request.approvers.length;
  const so = request.approvers.length ? ` Approved so far by ${request.approvers.map(mention).join(', ')}.` : '';
  const lines = `Expires ${slackDate(request.expiresAt)}. Needs ${needed} more ${needed === 1 ? 'approval' : 'approvals'} from an approver other than the requester.${so}`;
  const approve = buttonElement({
    text: 'Approve',
    actionId: APPROVE_ACTION_ID,
    value: request.id,
    style: 'primary',
    ...(isDestructive(request.action) ? { confirm: approveConfirm(request) } : {}),
  });
  const reject = buttonElement({ text: 'Reject', actionId: REJECT_ACTION_ID, value: request.id });
  return [sectionBlock(lines), ...actionsBlocks([approve, reject])];
}

function approveConfirm(request: ApprovalRequest) {
  return {
    title: `Approve ${request.action}?`,
    text: `This runs the SQL shown on the card against ${request.target} right away. It cannot be undone.`,
    confirm: 'Approve and run',
    deny: 'Not yet',
  };
}

/** What replaces the buttons: who decided, when, what ran, and the result or the error. */
export function outcomeText(request: ApprovalRequest): string {
  const by = `${mention(request.decidedBy)}${request.decidedAt ? ` at ${slackDate(request.decidedAt)}` : ''}`;
  const approvers = request.approvers.length > 1 ? ` (approvals: ${request.approvers.map(mention).join(', ')})` : '';
  const outcome = request.outcome;
  const summary = outcome ? escapeMrkdwn(outcome.summary) : '';
  switch (request.status) {
    case 'approved':
      return `Approved by ${by}${approvers}; running the SQL above now.`;
    case 'succeeded':
      return `${STATUS_EMOJI.ok} Approved by ${by}${approvers}. Ran the SQL above${outcome?.finishedAt ? `, finished ${slackDate(outcome.finishedAt)}` : ''}.\n*Result:* ${summary}`;
    case 'failed':
      return `${STATUS_EMOJI.crit} Approved by ${by}${approvers}. The SQL above ran and failed.\n*Error:* ${summary}${outcome?.error?.code ? ` (SQLSTATE ${escapeMrkdwn(outcome.error.code)})` : ''}`;
    case 'target_changed':
      // Never approved: closed at an approval click because its target was already gone (src/heal/approve.ts).
      return request.approvers.length >= request.approvalsRequired
        ? `Approved by ${by}${approvers}, but the re-check just before running found the target changed, so *nothing ran*.\n${summary}`
        : `Closed${request.decidedAt ? ` ${slackDate(request.decidedAt)}` : ''} when ${mention(request.decidedBy)} tried to approve: its target is gone.\n${summary}`;
    case 'rejected':
      return `Rejected by ${by}; nothing ran.`;
    case 'expired':
      return `Expired ${slackDate(request.expiresAt)} without enough approvals; nothing ran. Run the report again if it is still needed.`;
    case 'outcome_unknown':
      return `:grey_question: Approved by ${by}${approvers}. *Outcome unknown:* ${summary}`;
    case 'interrupted':
      return `:octagonal_sign: Approved by ${by}${approvers}. *Interrupted:* ${summary}`;
    case 'pending':
      return 'Waiting for approval.';
  }
}
