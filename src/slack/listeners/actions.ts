import type { App, BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { describeError } from '../../errors.js';
import { liveOffer } from '../../heal/offers.js';
import { errorNote, refusalNote } from '../blocks/messages.js';
import { ACTION_ID_PREFIX } from '../blocks/report.js';
import type { SlackDeps } from '../deps.js';
import { requestAndPost } from '../request-action.js';
import { type Responder, responderFor } from '../response-url.js';

const SUGGESTED_ACTION = new RegExp(`^${ACTION_ID_PREFIX}`);

/**
 * A report's suggested-action button: its value is an offer id. The click becomes an approval request for
 * the clicker (previewed again, pinned) and an approval card in the channel; nothing runs yet.
 */
export function registerActionButtons(app: App, deps: SlackDeps): void {
  app.action<BlockAction>(SUGGESTED_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const value = action.type === 'button' ? (action.value ?? '') : '';
    deps.jobs.start(
      requestFromOffer(deps, client, responderFor(body.response_url), {
        offerId: value,
        userId: body.user.id,
        channelId: body.channel?.id ?? '',
      }),
    );
  });
}

async function requestFromOffer(
  deps: SlackDeps,
  client: WebClient,
  respond: Responder,
  click: { offerId: string; userId: string; channelId: string },
): Promise<void> {
  const ephemeral = (message: { text: string }) =>
    respond({ response_type: 'ephemeral', replace_original: false, ...message });
  const healing = deps.healing;
  if (!healing)
    return void (await ephemeral(
      refusalNote('Healing actions need the state database (PGMEDIC_STATE_DATABASE_URL); nothing was requested.'),
    ));
  try {
    const offer = await liveOffer(healing.statePool, click.offerId);
    if (!offer)
      return void (await ephemeral(refusalNote('This button has expired. Run the report again to get fresh ones.')));
    const channelId = offer.channel ?? click.channelId;
    const decision = await deps.authorizer.check(deps.targets.get(offer.target).config, {
      userId: click.userId,
      channelId,
    });
    if (!decision.allowed) return void (await ephemeral(refusalNote(decision.reason)));
    deps.logger.info(
      { user: click.userId, action: offer.action, target: offer.target, offer: offer.id },
      'suggested action clicked',
    );
    const input = {
      action: offer.action,
      target: offer.target,
      params: offer.params,
      requestedBy: click.userId,
      channel: channelId,
    };
    await requestAndPost(deps, healing, client, input, ephemeral);
  } catch (error) {
    deps.logger.warn({ err: error, user: click.userId }, 'could not request a suggested action');
    await ephemeral(errorNote(describeError(error).text));
  }
}
