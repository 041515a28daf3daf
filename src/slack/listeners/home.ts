import type { App } from '@slack/bolt';
import { listCommands } from '../../engine/registry.js';
import { homeView } from '../blocks/home.js';
import type { SlackDeps } from '../deps.js';
import { SLASH_COMMAND } from './command.js';

/** Publishes the Home tab whenever someone opens it. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const view = homeView({
      targets: deps.targets.names().map((name) => ({ name, status: deps.status.get(name) })),
      commands: listCommands(),
      invocation: SLASH_COMMAND,
      now: deps.now(),
    });
    await client.views.publish({ user_id: event.user, view });
  });
}
