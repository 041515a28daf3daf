import type { Visibility } from '../config/slack.js';
import { describeError } from '../errors.js';
import { renderText } from '../report/text.js';
import { fleetStatusReport, readFleetStatus } from '../schedule/fleet-status.js';
import type { Requester } from './authorize.js';
import { errorNote, refusalNote } from './blocks/messages.js';
import { reportMessage } from './blocks/report.js';
import { deliverReport, type Reply } from './deliver.js';
import type { SlackDeps } from './deps.js';
import { visibleTargets } from './heal-commands.js';

const replace = (reply: Reply) => (message: { text: string }) =>
  reply.respond({ replace_original: true, response_type: 'ephemeral', ...message });

/**
 * `/pg status`: which copy holds which watched target, when each was last checked, and each copy's last heartbeat,
 * from the state database. Only targets this person may query from here are listed.
 */
export async function fleetStatusCommand(
  deps: SlackDeps,
  run: { visibility: Visibility; requester: Requester },
  reply: Reply,
): Promise<void> {
  if (!deps.snapshots || !deps.watch)
    return void (await replace(reply)(
      refusalNote(
        'No alert watch runs in this copy (it needs PGMEDIC_STATE_DATABASE_URL and an `alerts:` section or PGMEDIC_ALERTS_CHANNEL).',
      ),
    ));
  const visible = await visibleTargets(deps, deps.targets.names(), run.requester);
  try {
    const report = fleetStatusReport(await readFleetStatus(deps.snapshots), {
      visible,
      intervalMs: deps.watch.intervalMs,
      leadOf: deps.watch.leadOf,
    });
    await deliverReport(
      reply,
      run.visibility,
      (overflowNote) => reportMessage(report, undefined, { overflowNote, maxTableRows: 50 }),
      {
        filename: 'pgmedic-status.txt',
        title: `${report.title}, full list`,
        content: renderText(report, undefined, { color: false }),
      },
    );
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not read the watch status');
    await replace(reply)(errorNote(describeError(error).text));
  }
}
