import type { WebClient } from '@slack/web-api';
import type { HealingResult } from '../heal/types.js';
import type { Logger } from '../log/logger.js';
import { escapeMrkdwn } from './blocks/escape.js';
import { LIMITS, clip, preformattedBlock } from './blocks/limits.js';

/**
 * An action's longer account (EXPLAIN ANALYZE's plan) goes to the card's thread, once: only the click whose
 * approval ran the action sees the 'succeeded' notice.
 */
export async function postOutcomeDetail(
  client: WebClient,
  logger: Logger,
  result: Pick<HealingResult, 'request' | 'notice'>,
): Promise<boolean> {
  const request = result.request;
  const detail = request?.outcome?.detail;
  if (result.notice.kind !== 'succeeded' || !detail || !request.channel || !request.messageTs) return false;
  try {
    await client.chat.postMessage({
      channel: request.channel,
      thread_ts: request.messageTs,
      text: clip(escapeMrkdwn(`${detail.title} (request ${request.id})`), LIMITS.messageText),
      blocks: [preformattedBlock(detail.title, detail.text)],
      unfurl_links: false,
      unfurl_media: false,
    });
    return true;
  } catch (error) {
    logger.warn({ err: error, requestId: request.id }, 'could not post the outcome in the thread');
    return false;
  }
}
