import type { RespondArguments } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Visibility } from '../config/slack.js';
import type { Logger } from '../log/logger.js';
import type { RenderedMessage } from './blocks/report.js';

/** How one slash command or click talks back: its response_url (response-url.ts) and the bot's Web API client. */
export interface Reply {
  respond(message: RespondArguments): Promise<unknown>;
  client: WebClient;
  channelId: string;
  logger: Logger;
  /**
   * Set when the reply answers a button click rather than a slash command: there is no running note, so the
   * clicked message is never replaced or deleted, and a channel report goes in that message's thread.
   */
  click?: { messageTs?: string };
}

/** An ephemeral note that replaces the running note of a slash command. */
export function replaceNote(reply: Pick<Reply, 'respond'>, message: { text: string }): Promise<unknown> {
  return reply.respond({ replace_original: true, response_type: 'ephemeral', ...message });
}

/** An ephemeral note for the user: it replaces the running note of a command, or comes as a new one after a click. */
export function noteTo(reply: Reply, message: { text: string }): Promise<unknown> {
  return reply.respond({ replace_original: !reply.click, response_type: 'ephemeral', ...message });
}

export interface Attachment {
  filename: string;
  title: string;
  content: string;
}

const OVERFLOW_NOTE: Record<'thread' | 'private' | 'uninvited', string> = {
  thread: 'Cut to fit Slack; the full report is attached in the thread.',
  private:
    'Cut to fit Slack; private replies carry no attachment, so leave out --private to get the full report as a file.',
  uninvited: 'Cut to fit Slack; invite the app to this channel to get the full report attached as a file.',
};

/** Replaces the running note with the report: ephemerally, or in the channel with overflow in a thread. */
export async function deliverReport(
  reply: Reply,
  visibility: Visibility,
  render: (overflowNote: string) => RenderedMessage,
  attachment: Attachment,
): Promise<void> {
  if (visibility === 'private') {
    const message = render(OVERFLOW_NOTE.private);
    await reply.respond({
      replace_original: !reply.click,
      response_type: 'ephemeral',
      text: message.text,
      blocks: message.blocks,
    });
    return;
  }
  const message = render(OVERFLOW_NOTE.thread);
  const threadTs = reply.click?.messageTs;
  let ts: string | undefined;
  try {
    // chat.postMessage rather than the response_url: its ts lets the overflow go in a thread and lets the
    // approval flow later replace the buttons with the outcome (chat.update).
    const posted = await reply.client.chat.postMessage({
      channel: reply.channelId,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
    ts = posted.ts;
  } catch (error) {
    if (!isNotInChannel(error)) throw error;
    const fallback = render(OVERFLOW_NOTE.uninvited);
    if (!reply.click) await reply.respond({ delete_original: true });
    await reply.respond({
      response_type: 'in_channel',
      replace_original: false,
      text: fallback.text,
      blocks: fallback.blocks,
    });
    return;
  }
  if (!reply.click) await reply.respond({ delete_original: true });
  const thread = threadTs ?? ts;
  if (message.truncated && thread) await attachInThread(reply, thread, attachment);
}

async function attachInThread(reply: Reply, threadTs: string, attachment: Attachment): Promise<void> {
  try {
    await reply.client.filesUploadV2({
      channel_id: reply.channelId,
      thread_ts: threadTs,
      content: attachment.content,
      filename: attachment.filename,
      title: attachment.title,
      snippet_type: 'text',
    });
  } catch (error) {
    reply.logger.warn({ err: error, channel: reply.channelId }, 'could not attach the full report');
    await reply.client.chat
      .postMessage({
        channel: reply.channelId,
        thread_ts: threadTs,
        text: ':warning: The full report could not be attached (file upload failed); run the command again or use the CLI.',
      })
      .catch(() => undefined);
  }
}

/** Slack's error code of a failed Web API call ('not_in_channel', 'ratelimited', …), when it has one. */
export function slackErrorCode(error: unknown): string | undefined {
  return (error as { data?: { error?: string } } | undefined)?.data?.error;
}

/** The bot is not a member of the channel, or cannot see it: the post needs the app invited (or the response_url). */
export function isNotInChannel(error: unknown): boolean {
  const code = slackErrorCode(error);
  return code === 'not_in_channel' || code === 'channel_not_found';
}
