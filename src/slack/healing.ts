import type { WebClient } from '@slack/web-api';
import type { HealingPolicy } from '../heal/policy.js';
import type { Healing } from '../heal/service.js';
import { storeOffers } from '../heal/offers.js';
import type { ApprovalRequest, HealingResult, Queryable } from '../heal/types.js';
import type { Logger } from '../log/logger.js';
import type { Report } from '../report/model.js';
import { approvalCard } from './blocks/approval.js';
import type { ActionButtons } from './blocks/report.js';

/** The healing core as the Slack layer sees it; absent when no state database is configured. */
export interface SlackHealing {
  service: Healing;
  policy: HealingPolicy;
  statePool: Queryable;
}

/** A report's buttons stay clickable this long; the click previews the target again anyway. */
export const OFFER_LIFETIME_MINUTES = 60;

export const HEALING_OFF_NOTE = 'Healing actions are off for this target, so no buttons are offered';
const NO_STATE_NOTE = 'Healing actions need PGMEDIC_STATE_DATABASE_URL, so no buttons are offered';

/**
 * Stores each suggested action of a report as an offer and returns the button values (opaque offer ids);
 * with no state database, or healing off for the target, no buttons and a note saying why.
 */
export async function offerActions(
  healing: SlackHealing | undefined,
  report: Report,
  target: string,
  requester: { userId: string; channelId: string | null },
  lifetimeMinutes: number = OFFER_LIFETIME_MINUTES,
): Promise<ActionButtons | undefined> {
  if (!report.actions.length) return undefined;
  if (!healing) return { unavailable: NO_STATE_NOTE };
  if (!healing.policy.enabledFor(target)) return { unavailable: HEALING_OFF_NOTE };
  const offers = report.actions.map((a) => ({
    action: a.action,
    target,
    params: a.params,
    channel: requester.channelId,
    offeredTo: requester.userId,
  }));
  return { values: await storeOffers(healing.statePool, offers, lifetimeMinutes) };
}

/** Posts the card in the channel and records where, so any copy can update it in place later. */
export async function postApprovalCard(
  healing: SlackHealing,
  client: WebClient,
  request: ApprovalRequest,
  channel: string,
): Promise<string> {
  const card = approvalCard(request);
  const posted = await client.chat.postMessage({
    channel,
    text: card.text,
    blocks: card.blocks,
    unfurl_links: false,
    unfurl_media: false,
  });
  if (!posted.ts) throw new Error('chat.postMessage returned no ts');
  await healing.service.attachMessage(request.id, channel, posted.ts);
  return posted.ts;
}

/** Re-renders the card in place (chat.update) when the request changed and the card is known. */
export async function updateCard(
  client: WebClient,
  logger: Logger,
  result: Pick<HealingResult, 'request' | 'cardChanged'>,
): Promise<boolean> {
  const request = result.request;
  if (!result.cardChanged || !request?.channel || !request.messageTs) return false;
  const card = approvalCard(request);
  try {
    await client.chat.update({ channel: request.channel, ts: request.messageTs, text: card.text, blocks: card.blocks });
    return true;
  } catch (error) {
    logger.warn({ err: error, requestId: request.id }, 'could not update the approval card');
    return false;
  }
}

/** One expiry pass: requests past their expiry become 'expired' (once, across copies) and lose their buttons. */
export async function sweepExpired(healing: SlackHealing, client: WebClient, logger: Logger): Promise<number> {
  const expired = await healing.service.expireDue();
  for (const request of expired) await updateCard(client, logger, { request, cardChanged: true });
  if (expired.length) logger.info({ requests: expired.map((r) => r.id) }, 'approval requests expired');
  return expired.length;
}

/** One limbo pass: approved requests whose executor went silent become 'outcome_unknown' (once) and their cards say what to check. */
export async function sweepStale(healing: SlackHealing, client: WebClient, logger: Logger): Promise<number> {
  const closed = await healing.service.sweepStale();
  for (const request of closed) await updateCard(client, logger, { request, cardChanged: true });
  if (closed.length)
    logger.warn(
      { requests: closed.map((r) => ({ id: r.id, executor: r.executor, lastHeartbeat: r.heartbeatAt })) },
      'approved actions whose executor stopped answering: outcome unknown',
    );
  return closed.length;
}

/** Stopping with actions still running after the grace: each is marked interrupted, its card updated, its statement cancelled. */
export async function interruptActions(
  healing: SlackHealing,
  client: WebClient,
  logger: Logger,
  graceMs: number,
): Promise<void> {
  if (!healing.service.running) return;
  const interrupted = await healing.service.interruptRunning(graceMs).catch((error: unknown) => {
    logger.error(
      { err: error },
      'could not mark running actions interrupted; other copies will mark them outcome unknown',
    );
    return [];
  });
  for (const request of interrupted) await updateCard(client, logger, { request, cardChanged: true });
  if (interrupted.length)
    logger.warn(
      { requests: interrupted.map((r) => r.id), graceMs },
      'stopped with approved actions still running: marked interrupted and cancelled',
    );
}

/** Calls `sweep` every `intervalMs` (never two at once); returns the stopper. */
export function startExpiryTimer(
  sweep: () => Promise<unknown>,
  intervalMs: number,
  logger: Logger,
  what = 'expiry sweep',
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep()
      .catch((error: unknown) => logger.warn({ err: error }, `${what} failed`))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
