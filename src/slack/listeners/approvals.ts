import type { App, BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { ApprovalRequest, HealingResult } from '../../heal/types.js';
import { describeError } from '../../errors.js';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../blocks/approval.js';
import { errorNote, refusalNote } from '../blocks/messages.js';
import type { SlackDeps } from '../deps.js';
import { updateCard } from '../healing.js';
import { postOutcomeDetail } from '../outcome-detail.js';
import { type Responder, responderFor } from '../response-url.js';

type Decision = 'approve' | 'reject';

/**
 * Approve and Reject on an approval card. The value is the request id; the core decides (approver check at
 * click time, atomic compare-and-set, audit), the card is updated in place, refusals go to the clicker only.
 */
export function registerApprovalButtons(app: App, deps: SlackDeps): void {
  for (const [actionId, decision] of [
    [APPROVE_ACTION_ID, 'approve'],
    [REJECT_ACTION_ID, 'reject'],
  ] as const) {
    app.action<BlockAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const requestId = action.type === 'button' ? (action.value ?? '') : '';
      deps.jobs.start(
        decide(deps, client, responderFor(body.response_url), decision, {
          requestId,
          userId: body.user.id,
          channel: body.channel?.id ?? null,
        }),
      );
    });
  }
}

async function decide(
  deps: SlackDeps,
  client: WebClient,
  respond: Responder,
  decision: Decision,
  input: { requestId: string; userId: string; channel: string | null },
): Promise<void> {
  const ephemeral = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
  if (!deps.healing)
    return void (await ephemeral(
      refusalNote('Healing actions are off: this bot has no state database (PGMEDIC_STATE_DATABASE_URL).').text,
    ));
  const log = deps.logger.child({ user: input.userId, requestId: input.requestId, decision });
  let result: HealingResult;
  try {
    // While an approved action runs (maybe hours), the card says so instead of still offering the buttons.
    const onRunning = (request: ApprovalRequest) => updateCard(client, deps.logger, { request, cardChanged: true });
    result =
      decision === 'approve'
        ? await deps.healing.service.approve({ ...input, onRunning })
        : await deps.healing.service.reject(input);
  } catch (error) {
    log.error({ err: error }, 'approval decision failed');
    return void (await ephemeral(errorNote(describeError(error).text).text));
  }
  log.info(
    { notice: result.notice.kind, reason: result.notice.reason, status: result.request?.status },
    'approval decision',
  );
  await updateCard(client, deps.logger, result);
  await postOutcomeDetail(client, deps.logger, result);
  if (result.notice.kind === 'refused') await ephemeral(refusalNote(result.notice.text).text);
  else if (result.notice.kind === 'approval_recorded') await ephemeral(`:ballot_box_with_check: ${result.notice.text}`);
}
