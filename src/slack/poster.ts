import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log/logger.js';
import type { OutgoingMessage, Poster } from '../schedule/poster.js';
import { escapeMrkdwn } from './blocks/escape.js';
import { LIMITS, clip } from './blocks/limits.js';
import { reportMessage, type ActionButtons, type RenderedMessage } from './blocks/report.js';
import { offerActions, type SlackHealing } from './healing.js';
import { uploadCharts } from './upload-charts.js';

/**
 * A digest is read over the morning and an alert can last for hours, so their buttons live longer than a
 * command's; a click previews and pins the target again anyway, so an old button cannot act on a stale pid.
 */
export const SCHEDULED_OFFER_LIFETIME_MINUTES = 24 * 60;

/** Who the offers of scheduled messages were made to (no person asked for them). */
export const SCHEDULER_OFFEREE = 'pgmedic:scheduler';

const OVERFLOW_NOTE = 'Cut to fit Slack; run the same command with `/pg` or the CLI for the full report.';

export interface SlackPosterDeps {
  client: WebClient;
  /** The approval flow; without it reports carry a note instead of buttons. */
  healing: SlackHealing | undefined;
  logger: Logger;
  offerLifetimeMinutes?: number;
}

/**
 * The scheduler's Poster on Slack: chat.postMessage / chat.update with the report renderer, and the
 * report's suggested actions stored as offers, so digest and alert buttons go through the approval flow.
 */
export function createSlackPoster(deps: SlackPosterDeps): Poster {
  // chat.update needs the channel ID; a channel configured by name is resolved by the post before it.
  const channelIds = new Map<string, string>();
  const render = async (channel: string, message: OutgoingMessage) =>
    messageBlocks(message, await buttonsFor(deps, channel, message));
  return {
    async post(channel, message) {
      const rendered = await render(channel, message);
      const posted = await deps.client.chat.postMessage({
        channel,
        text: rendered.text,
        blocks: rendered.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      });
      if (!posted.ts) throw new Error('chat.postMessage returned no ts');
      if (posted.channel) channelIds.set(channel, posted.channel);
      return { ts: posted.ts };
    },
    async update(channel, ts, message) {
      const rendered = await render(channel, message);
      await deps.client.chat.update({
        channel: channelIds.get(channel) ?? channel,
        ts,
        text: rendered.text,
        blocks: rendered.blocks,
      });
    },
    attach: (channel, threadTs, files) =>
      uploadCharts(deps.client, channelIds.get(channel) ?? channel, files, { threadTs }),
  };
}

function messageBlocks(message: OutgoingMessage, actions: ActionButtons | undefined): RenderedMessage {
  const rendered = reportMessage(message.report, message.context, {
    overflowNote: OVERFLOW_NOTE,
    ...(actions ? { actions } : {}),
  });
  return { ...rendered, text: clip(escapeMrkdwn(message.text), LIMITS.messageText) };
}

/** Offers for the message's target; a state database that does not answer costs the buttons, not the message. */
async function buttonsFor(
  deps: SlackPosterDeps,
  channel: string,
  message: OutgoingMessage,
): Promise<ActionButtons | undefined> {
  if (!message.target || !message.report.actions.length) return undefined;
  // Offers are authorized against their channel on click; a "#name" is not an ID, so the click's channel is used.
  const requester = { userId: SCHEDULER_OFFEREE, channelId: channel.startsWith('#') ? null : channel };
  try {
    return await offerActions(
      deps.healing,
      message.report,
      message.target,
      requester,
      deps.offerLifetimeMinutes ?? SCHEDULED_OFFER_LIFETIME_MINUTES,
    );
  } catch (error) {
    deps.logger.warn(
      { err: error, target: message.target },
      'could not store suggested actions; posting without buttons',
    );
    return { unavailable: 'The state database did not answer, so no buttons are offered' };
  }
}
