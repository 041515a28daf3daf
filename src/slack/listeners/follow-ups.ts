import type { App, BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Visibility } from '../../config/slack.js';
import { validateOptions } from '../../engine/options.js';
import { findCommand } from '../../engine/registry.js';
import { refusalNote } from '../blocks/messages.js';
import { FOLLOW_UP_PREFIX, parseExplainValue } from '../blocks/follow-up.js';
import { noteTo, type Reply } from '../deliver.js';
import type { SlackDeps } from '../deps.js';
import { executeCommand } from '../execute.js';
import { type Responder, responderFor } from '../response-url.js';

const EXPLAIN_BUTTON = new RegExp(`^${FOLLOW_UP_PREFIX}explain:`);

export interface FollowUpClick {
  value: string;
  userId: string;
  channelId: string;
  /** The clicked message: the plan goes in its thread. */
  messageTs?: string;
  /** A button on a private (ephemeral) report answers privately too, and such a message has no thread. */
  ephemeral: boolean;
}

/**
 * A report's Explain button: runs `explain <queryid>` on the target the button names, for the clicker, exactly as
 * if they had typed it (same parsing, same authorization, read-only, no approval). The value is never trusted.
 */
export function registerFollowUpButtons(app: App, deps: SlackDeps): void {
  app.action<BlockAction>(EXPLAIN_BUTTON, async ({ ack, body, action, client }) => {
    await ack();
    const container = body.container as { message_ts?: string; is_ephemeral?: boolean };
    const click: FollowUpClick = {
      value: action.type === 'button' ? (action.value ?? '') : '',
      userId: body.user.id,
      channelId: body.channel?.id ?? '',
      ephemeral: container.is_ephemeral === true,
      ...(container.message_ts ? { messageTs: container.message_ts } : {}),
    };
    deps.jobs.start(explainFromClick(deps, click, replyForClick(deps, click, responderFor(body.response_url), client)));
  });
}

function replyForClick(deps: SlackDeps, click: FollowUpClick, respond: Responder, client: WebClient): Reply {
  return {
    respond,
    client,
    channelId: click.channelId,
    logger: deps.logger,
    click: click.ephemeral || !click.messageTs ? {} : { messageTs: click.messageTs },
  };
}

export async function explainFromClick(deps: SlackDeps, click: FollowUpClick, reply: Reply): Promise<void> {
  const parsed = parseExplainValue(click.value);
  if (!parsed.ok || !deps.targets.names().includes(parsed.target)) {
    const reason = parsed.ok
      ? `There is no target named \`${parsed.target}\`, so nothing ran. Type \`/pg explain <queryid> <target>\` with one of: ${deps.targets.names().join(', ')}.`
      : parsed.reason;
    deps.logger.warn({ user: click.userId, channel: click.channelId }, 'refused a forged follow-up button');
    await noteTo(reply, refusalNote(reason));
    return;
  }
  const command = findCommand('explain');
  const visibility: Visibility =
    click.ephemeral || deps.slack.privateChannels.has(click.channelId) ? 'private' : 'channel';
  const run = {
    command,
    target: parsed.target,
    options: validateOptions(command, { statement: parsed.queryId }),
    visibility,
    requester: { userId: click.userId, channelId: click.channelId },
  };
  // executeCommand authorizes the clicker for this target and channel with the same rule as a typed `/pg explain`.
  await executeCommand(deps, run, reply);
}
