import type { Visibility } from '../config/slack.js';
import type { AnyCommand } from '../engine/command.js';
import { describeError } from '../errors.js';
import { auditReport } from '../heal/audit-report.js';
import { renderText } from '../report/text.js';
import type { AuditRecord } from '../heal/types.js';
import type { Requester } from './authorize.js';
import { errorNote, refusalNote } from './blocks/messages.js';
import { reportMessage } from './blocks/report.js';
import { deliverReport, replaceNote, type Reply } from './deliver.js';
import type { SlackDeps } from './deps.js';
import type { SlackHealing } from './healing.js';
import { requestAndPost } from './request-action.js';

const NO_STATE =
  'Healing actions and their audit need the state database: set PGMEDIC_STATE_DATABASE_URL (and PGMEDIC_APPROVERS) and restart pgmedic.';

/** `/pg terminate 4242 [target]` and the other actions typed directly: a request and its approval card, nothing runs. */
export async function requestActionCommand(
  deps: SlackDeps,
  run: { command: AnyCommand; target: string; tokens: string[]; requester: Requester },
  reply: Reply,
): Promise<void> {
  const healing = deps.healing;
  if (!healing) return void (await replaceNote(reply, refusalNote(NO_STATE)));
  const decision = await deps.authorizer.check(deps.targets.get(run.target).config, run.requester);
  if (!decision.allowed) return void (await replaceNote(reply, refusalNote(decision.reason)));
  try {
    const input = {
      action: run.command.name,
      target: run.target,
      tokens: run.tokens,
      requestedBy: run.requester.userId,
      channel: run.requester.channelId,
    };
    const requestId = await requestAndPost(deps, healing, reply.client, input, (message) =>
      replaceNote(reply, message),
    );
    if (requestId) await reply.respond({ delete_original: true });
  } catch (error) {
    deps.logger.warn({ err: error, action: run.command.name, target: run.target }, 'could not request an action');
    await replaceNote(reply, errorNote(describeError(error).text));
  }
}

/** `/pg audit [target] [--limit N]`: recent audit entries of the targets this person may query, as a report. */
export async function auditCommand(
  deps: SlackDeps,
  run: { target?: string; limit: number; visibility: Visibility; requester: Requester },
  reply: Reply,
): Promise<void> {
  const healing = deps.healing;
  if (!healing) return void (await replaceNote(reply, refusalNote(NO_STATE)));
  const visible = await visibleTargets(deps, run.target ? [run.target] : deps.targets.names(), run.requester);
  if (run.target && !visible.has(run.target))
    return void (await replaceNote(
      reply,
      refusalNote(`You may not query \`${run.target}\` from here, so its audit is not shown either.`),
    ));
  let records: AuditRecord[];
  try {
    records = await readVisible(healing, run.target, run.limit, visible);
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not read the audit log');
    return void (await replaceNote(reply, errorNote(describeError(error).text)));
  }
  const report = auditReport(records, { ...(run.target ? { target: run.target } : {}), limit: run.limit });
  await deliverReport(
    reply,
    run.visibility,
    (overflowNote) => reportMessage(report, undefined, { overflowNote, maxTableRows: 50 }),
    {
      filename: `pgmedic-audit${run.target ? `-${run.target}` : ''}.txt`,
      title: `${report.title}, full list`,
      content: renderText(report, undefined, { color: false }),
    },
  );
}

export async function visibleTargets(
  deps: SlackDeps,
  names: readonly string[],
  requester: Requester,
): Promise<Set<string>> {
  const visible = new Set<string>();
  for (const name of names) {
    if ((await deps.authorizer.check(deps.targets.get(name).config, requester)).allowed) visible.add(name);
  }
  return visible;
}

/** Entries of other targets (and refusals with no target) are left out for people who may not query them. */
async function readVisible(
  healing: SlackHealing,
  target: string | undefined,
  limit: number,
  visible: Set<string>,
): Promise<AuditRecord[]> {
  const records = await healing.service.recentAudit(target, target ? limit : limit * 4);
  return records.filter((r) => r.target !== null && visible.has(r.target)).slice(0, limit);
}
