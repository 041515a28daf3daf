import type { Visibility } from '../config/slack.js';
import type { AnyCommand } from '../engine/command.js';
import { runCommand, type RunResult } from '../engine/run.js';
import { describeError } from '../errors.js';
import { contextLine, renderText } from '../report/text.js';
import type { Requester } from './authorize.js';
import { errorNote, refusalNote } from './blocks/messages.js';
import { reportMessage } from './blocks/report.js';
import { deliverReport, noteTo, type Reply } from './deliver.js';
import type { SlackDeps } from './deps.js';
import { offerActions } from './healing.js';
import { nextTurn } from './next-turn.js';

export interface CommandRun {
  command: AnyCommand;
  target: string;
  options: Record<string, unknown>;
  visibility: Visibility;
  requester: Requester;
}

/** Everything after the ack: authorize, run against the target, deliver the report or a short error. */
export async function executeCommand(deps: SlackDeps, run: CommandRun, reply: Reply): Promise<void> {
  const log = deps.logger.child({
    command: run.command.name,
    target: run.target,
    user: run.requester.userId,
    channel: run.requester.channelId,
  });
  const target = deps.targets.get(run.target);
  const decision = await deps.authorizer.check(target.config, run.requester);
  if (!decision.allowed) {
    log.warn({ rule: decision.rule }, 'refused a command');
    await noteTo(reply, refusalNote(decision.reason));
    return;
  }
  const outcome = await runCommand({
    command: run.command,
    target,
    options: run.options,
    now: deps.now,
    history: deps.history,
  }).then(
    (result): { result: RunResult } => ({ result }),
    (error: unknown) => ({ error }),
  );
  // Logging, rendering and posting the answer wait for their turn: acks that arrived meanwhile go first.
  await nextTurn();
  if ('error' in outcome) {
    const { error } = outcome;
    const described = describeError(error);
    deps.status.record(run.target, {
      status: 'error',
      summary: described.text,
      command: run.command.name,
      at: deps.now(),
    });
    log[described.code === 'internal' ? 'error' : 'warn']({ err: error, code: described.code }, 'command failed');
    await noteTo(reply, errorNote(described.text));
    return;
  }
  const { result } = outcome;
  deps.status.record(run.target, {
    status: result.status,
    summary: result.summary,
    command: result.command,
    at: deps.now(),
    serverVersion: result.meta.serverVersion,
  });
  log.info({ status: result.status, elapsedMs: result.meta.elapsedMs, visibility: run.visibility }, 'command ran');
  const footer = contextLine(result);
  const actions = await offerActions(deps.healing, result.report, run.target, run.requester).catch((error: unknown) => {
    log.warn({ err: error }, 'could not store suggested actions; posting the report without buttons');
    return { unavailable: 'The state database did not answer, so no buttons are offered' };
  });
  await deliverReport(
    reply,
    run.visibility,
    (overflowNote) =>
      reportMessage(result.report, footer, {
        overflowNote,
        followUpTarget: run.target,
        ...(actions ? { actions } : {}),
      }),
    {
      filename: `pgmedic-${result.command}-${result.target}.txt`,
      title: `${result.report.title} (${result.target}), full report`,
      content: renderText(result.report, footer, { color: false }),
    },
  );
}
