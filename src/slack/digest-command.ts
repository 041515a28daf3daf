import type { Visibility } from '../config/slack.js';
import { describeError } from '../errors.js';
import { digestMessages } from '../schedule/digest-messages.js';
import type { Requester } from './authorize.js';
import { errorNote, refusalNote } from './blocks/messages.js';
import { reportMessage } from './blocks/report.js';
import { isNotInChannel, replaceNote, type Reply } from './deliver.js';
import type { SlackDeps } from './deps.js';
import { visibleTargets } from './heal-commands.js';

export interface DigestRun {
  target?: string;
  visibility: Visibility;
  requester: Requester;
}

const PRIVATE_NOTE =
  'A private digest shows the summary only; without --private each section’s report follows in a thread.';

/**
 * `/pg digest [target]`: the digest of the named target, or of every target this person may query, posted
 * in the channel as the scheduled one is (summary, each section in its thread). Private: the summary only.
 */
export async function digestCommand(deps: SlackDeps, run: DigestRun, reply: Reply): Promise<void> {
  const digests = deps.digests;
  if (!digests) return void (await replaceNote(reply, errorNote('Digests are not set up in this copy of pgmedic.')));
  const names = run.target ? [run.target] : deps.targets.names();
  const visible = [...(await visibleTargets(deps, names, run.requester))];
  if (!visible.length) {
    const reason = run.target
      ? `You may not query \`${run.target}\` from here, so its digest is not shown either.`
      : 'There is no target you may query from here.';
    return void (await replaceNote(reply, refusalNote(reason)));
  }
  try {
    const digest = await digests.digestNow({ targets: visible });
    deps.logger.info(
      {
        user: run.requester.userId,
        channel: run.requester.channelId,
        targets: visible,
        status: digest.status,
        elapsedMs: digest.elapsedMs,
      },
      'digest ran',
    );
    if (run.visibility === 'private') {
      const { main } = digestMessages(digest);
      const message = reportMessage({ ...main.report, footnotes: [PRIVATE_NOTE] }, main.context, {});
      return void (await reply.respond({
        replace_original: true,
        response_type: 'ephemeral',
        text: message.text,
        blocks: message.blocks,
      }));
    }
    await digests.postDigest(run.requester.channelId, digest);
    await reply.respond({ delete_original: true });
  } catch (error) {
    deps.logger.warn({ err: error, targets: visible }, 'digest failed');
    const text = isNotInChannel(error)
      ? 'The digest could not be posted here: invite the app to this channel, or add --private.'
      : describeError(error).text;
    await replaceNote(reply, errorNote(text));
  }
}
