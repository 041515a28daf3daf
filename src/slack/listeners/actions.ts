import type { App } from '@slack/bolt';
import { HEALING_NOT_YET } from '../blocks/messages.js';
import { ACTION_ID_PREFIX } from '../blocks/report.js';
import type { SlackDeps } from '../deps.js';

const SUGGESTED_ACTION = new RegExp(`^${ACTION_ID_PREFIX}`);

/** Suggested-action buttons. The approval flow (healing issue) replaces this answer with a real request. */
export function registerActionButtons(app: App, deps: SlackDeps): void {
  app.action(SUGGESTED_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    deps.logger.info({ user: body.user.id, actionId: 'action_id' in action ? action.action_id : undefined }, 'suggested action clicked');
    await respond({ response_type: 'ephemeral', replace_original: false, text: `:information_source: ${HEALING_NOT_YET}` });
  });
}
