import type { WebClient } from '@slack/web-api';
import type { ActionRequestInput } from '../heal/requests.js';
import { errorNote, refusalNote } from './blocks/messages.js';
import { isNotInChannel, slackErrorCode } from './deliver.js';
import type { SlackDeps } from './deps.js';
import { postApprovalCard, type SlackHealing } from './healing.js';

/** Whatever answers the person who asked, only to them. */
export type Ephemeral = (message: { text: string }) => Promise<unknown>;

/**
 * One request, from a button or from `/pg <action>`: the core previews and pins the target (or refuses,
 * audited), then the card goes to the channel. Returns the request id when a card was posted.
 */
export async function requestAndPost(
  deps: SlackDeps,
  healing: SlackHealing,
  client: WebClient,
  input: ActionRequestInput & { channel: string },
  ephemeral: Ephemeral,
): Promise<string | undefined> {
  const result = await healing.service.requestAction(input);
  const request = result.request;
  if (!request || result.notice.kind === 'refused') {
    deps.logger.info(
      { user: input.requestedBy, action: input.action, target: input.target, reason: result.notice.reason },
      'healing request refused',
    );
    await ephemeral(refusalNote(result.notice.text));
    return undefined;
  }
  try {
    await postApprovalCard(healing, client, request, input.channel);
  } catch (error) {
    const code = slackErrorCode(error);
    deps.logger.warn({ err: error, requestId: request.id, channel: input.channel }, 'could not post the approval card');
    const why = isNotInChannel(error) ? 'invite the app to this channel and ask again' : 'try again in a moment';
    await ephemeral(
      errorNote(
        `The approval request was stored but its card could not be posted here (${code ?? 'error'}): ${why}. It expires unapproved.`,
      ),
    );
    return undefined;
  }
  deps.logger.info(
    { user: input.requestedBy, action: request.action, target: request.target, requestId: request.id },
    'approval requested',
  );
  return request.id;
}
