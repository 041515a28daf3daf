import type { App } from '@slack/bolt';
import { listCommands } from '../../engine/registry.js';
import { homeView } from '../blocks/home.js';
import type { SlackDeps } from '../deps.js';
import { SLASH_COMMAND } from './command.js';

/** Publishes the Home tab whenever someone opens it. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    // Only what this person may query (from some channel): others' targets, names and health stay unseen.
    const names: string[] = [];
    for (const name of deps.targets.names())
      if ((await deps.authorizer.checkUser(deps.targets.get(name).config, event.user)).allowed) names.push(name);
    const view = homeView({
      targets: names.map((name) => ({ name, status: deps.status.get(name) })),
      commands: listCommands(),
      invocation: SLASH_COMMAND,
      now: deps.now(),
      ...(deps.targets.names().length
        ? { noTargets: 'There is no target you may query. Ask an admin to add you to a target’s users list.' }
        : {}),
    });
    await client.views.publish({ user_id: event.user, view });
  });
}
