import type { App } from '@slack/bolt';
import { listCommands } from '../../engine/registry.js';
import { homeView } from '../blocks/home.js';
import type { SlackDeps } from '../deps.js';
import { SLASH_COMMAND } from './command.js';
import { readFleetStatus } from '../../schedule/fleet-status.js';

/** Publishes the Home tab whenever someone opens it. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    // Only what this person may query (from some channel): others' targets, names and health stay unseen.
    const names: string[] = [];
    for (const name of deps.targets.names())
      if ((await deps.authorizer.checkUser(deps.targets.get(name).config, event.user)).allowed) names.push(name);
    const watch = await watchFor(deps, names);
    const view = homeView({
      ...(watch ? { watch } : {}),
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

/** The watch's leases of the targets shown; a state database that does not answer costs this section only. */
async function watchFor(deps: SlackDeps, names: string[]) {
  if (!deps.snapshots || !deps.watch) return undefined;
  try {
    const status = await readFleetStatus(deps.snapshots);
    const leases = new Map(status.leases.map((l) => [l.target, l]));
    const watch = deps.watch;
    // A database looked at through its server's lead shows the lead's lease and last check.
    const shown = names.flatMap((name) => {
      const lead = watch.leadOf(name);
      const lease = lead && leases.get(lead);
      return lease ? [[name, { ...lease, ...(lead !== name ? { via: lead } : {}) }] as const] : [];
    });
    return { copies: status.copies, targets: new Map(shown) };
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not read the alert watch for the Home tab');
    return undefined;
  }
}
