import type { App, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Visibility } from '../../config/slack.js';
import { helpReport } from '../../engine/help.js';
import { describeError } from '../../errors.js';
import { channelTarget, type Requester } from '../authorize.js';
import { errorNote, requestingNote, runningNote } from '../blocks/messages.js';
import { reportMessage } from '../blocks/report.js';
import { claimWon } from '../dedupe.js';
import type { SlackDeps } from '../deps.js';
import { digestCommand } from '../digest-command.js';
import { fleetStatusCommand } from '../fleet-command.js';
import { executeCommand } from '../execute.js';
import { auditCommand, requestActionCommand } from '../heal-commands.js';
import { AUDIT_COMMAND, DIGEST_COMMAND, parseSlashText, STATUS_COMMAND, TREND_COMMAND } from '../parse.js';
import { trendCommand } from '../trend-command.js';
import { nextTurn } from '../next-turn.js';
import { type Responder, responderFor } from '../response-url.js';

export const SLASH_COMMAND = '/pg';

/**
 * `/pg <command> [target] [options]`. Parsing is pure and instant, so bad input is answered in the ack itself;
 * anything that touches a database or Slack's API happens after the ack, which never waits for SQL.
 */
export function registerSlashCommand(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, async ({ command, ack, client, context }) => {
    const requester: Requester = {
      userId: command.user_id,
      channelId: command.channel_id,
      channelName: command.channel_name,
    };
    let request: ReturnType<typeof parseSlashText>;
    try {
      request = parseSlashText(command.text, {
        targetNames: deps.targets.names(),
        defaultTarget: channelTarget(deps.config.targets, requester) ?? deps.config.defaultTarget,
      });
    } catch (error) {
      deps.logger.info(
        { user: requester.userId, channel: requester.channelId, code: describeError(error).code },
        'bad /pg input',
      );
      await ack({ response_type: 'ephemeral', ...errorNote(describeError(error).text) });
      return;
    }
    if (request.kind === 'help') {
      const help = reportMessage(helpReport(SLASH_COMMAND, request.command), undefined, { maxTableRows: 100 });
      await ack({ response_type: 'ephemeral', text: help.text, blocks: help.blocks });
      return;
    }
    const visibility: Visibility =
      request.visibility ??
      (deps.slack.privateChannels.has(requester.channelId) ? 'private' : deps.slack.defaultVisibility);
    // Answers go to the response_url over node:http(s), not Bolt's respond() (fetch): see response-url.ts.
    const respond = responderFor(command.response_url);
    const reply = replyFor(deps, command, respond, client);
    // A later turn of the event loop (next-turn.ts): the ack goes out, and acks already queued go first.
    // A delivery whose shared claim is lost (a replay that reached another copy) only takes its note back.
    const afterAck = (work: () => Promise<void>) =>
      deps.jobs.start(
        nextTurn().then(async () => {
          if (await claimWon(context)) return work();
          deps.logger.info({ key: `trigger_id:${command.trigger_id}` }, 'dropped a repeated delivery');
          await respond({ delete_original: true });
        }),
      );
    if (request.kind === 'audit') {
      await ack({ response_type: 'ephemeral', ...runningNote(AUDIT_COMMAND, request.target ?? 'every target') });
      afterAck(() => auditCommand(deps, { ...request, visibility, requester }, reply));
      return;
    }
    if (request.kind === 'digest') {
      await ack({ response_type: 'ephemeral', ...runningNote(DIGEST_COMMAND, request.target ?? 'every target') });
      afterAck(() =>
        digestCommand(deps, { ...(request.target ? { target: request.target } : {}), visibility, requester }, reply),
      );
      return;
    }
    if (request.kind === 'status') {
      await ack({ response_type: 'ephemeral', ...runningNote(STATUS_COMMAND, 'every target') });
      afterAck(() => fleetStatusCommand(deps, { visibility, requester }, reply));
      return;
    }
    if (request.kind === 'trend') {
      await ack({ response_type: 'ephemeral', ...runningNote(TREND_COMMAND, request.target) });
      afterAck(() => trendCommand(deps, { ...request, visibility, requester }, reply));
      return;
    }
    if (request.command.kind === 'action') {
      await ack({ response_type: 'ephemeral', ...requestingNote(request.command.name, request.target) });
      afterAck(() =>
        requestActionCommand(
          deps,
          { command: request.command, target: request.target, tokens: request.tokens, requester },
          reply,
        ),
      );
      return;
    }
    await ack({ response_type: 'ephemeral', ...runningNote(request.command.name, request.target) });
    const run = { command: request.command, target: request.target, options: request.options, visibility, requester };
    afterAck(() => executeCommand(deps, run, reply));
  });
}

function replyFor(deps: SlackDeps, command: SlashCommand, respond: Responder, client: WebClient) {
  return { respond, client, channelId: command.channel_id, logger: deps.logger };
}
