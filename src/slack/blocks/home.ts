import { formatDuration } from '../../report/format.js';
import type { TargetStatus } from '../status.js';
import { escapeMrkdwn } from './escape.js';
import type { HomeView, KnownBlock } from './kit.js';
import { LIMITS, contextBlock, headerBlock, sectionBlock } from './limits.js';
import { STATUS_EMOJI } from './report.js';

export interface HomeInput {
  targets: { name: string; status: TargetStatus | undefined }[];
  commands: { name: string; summary: string }[];
  invocation: string;
  now: Date;
  /** Shown instead of targets when there are none to show (default: none is configured). */
  noTargets?: string;
  /** The alert watch across copies (`/pg status` in short), when this copy runs one. */
  watch?: {
    copies: { copyId: string; beatAgoSeconds: number }[];
    targets: ReadonlyMap<string, WatchedTarget>;
  };
}

interface WatchedTarget {
  holder: string | null;
  checkedAgoSeconds: number | null;
  /** The database of the same server whose look stands for this one. */
  via?: string;
}

/** Targets shown one block each; the rest are summarised so the view stays under its block limit. */
const MAX_TARGET_BLOCKS = 60;

/** The App Home tab: configured targets with their last known status, then the commands. */
export function homeView(input: HomeInput): HomeView {
  const shown = input.targets.slice(0, MAX_TARGET_BLOCKS);
  const hidden = input.targets.length - shown.length;
  const blocks: KnownBlock[] = [
    headerBlock('pgmedic'),
    sectionBlock(
      `Diagnose PostgreSQL from any channel: \`${input.invocation} <command> [target] [options]\`. \`${input.invocation} help <command>\` explains one.`,
    ),
    { type: 'divider' },
    sectionBlock('*Targets*'),
    ...(shown.length
      ? shown.map((t) =>
          sectionBlock(targetLine(t.name, t.status, input.now) + watchLine(input.watch?.targets.get(t.name))),
        )
      : [
          sectionBlock(
            `_${escapeMrkdwn(input.noTargets ?? 'No database target is configured yet (DATABASE_URL or PGMEDIC_CONFIG).')}_`,
          ),
        ]),
    ...(hidden ? [sectionBlock(`_…and ${hidden} more targets_`)] : []),
    ...(input.watch ? [sectionBlock(copiesLine(input.watch.copies, input.invocation))] : []),
    { type: 'divider' },
    ...commandSections(input.commands, input.invocation),
    contextBlock(['Status is the last result this bot has seen since it started; run a command to refresh it.']),
  ];
  return { type: 'home', blocks: blocks.slice(0, LIMITS.surfaceBlocks) };
}

function targetLine(name: string, status: TargetStatus | undefined, now: Date): string {
  if (!status) return `:white_circle: *${escapeMrkdwn(name)}* — not checked yet`;
  const emoji = status.status === 'error' ? ':x:' : STATUS_EMOJI[status.status];
  const age = formatDuration(Math.max(0, (now.getTime() - status.at.getTime()) / 1000));
  const version = status.serverVersion ? ` · PostgreSQL ${escapeMrkdwn(status.serverVersion)}` : '';
  return `${emoji} *${escapeMrkdwn(name)}* — ${escapeMrkdwn(status.summary)}\n_\`${escapeMrkdwn(status.command)}\`, ${age} ago${version}_`;
}

function watchLine(watch: WatchedTarget | undefined): string {
  if (!watch) return '';
  const checked =
    (watch.checkedAgoSeconds === null ? 'not checked yet' : `checked ${formatDuration(watch.checkedAgoSeconds)} ago`) +
    (watch.via ? ` with ${escapeMrkdwn(watch.via)}` : '');
  return `\n_alert watch: ${watch.holder ? `\`${escapeMrkdwn(watch.holder)}\`` : 'no copy'}, ${checked}_`;
}

function copiesLine(copies: { copyId: string; beatAgoSeconds: number }[], invocation: string): string {
  const shown = copies
    .slice(0, 10)
    .map((c) => `\`${escapeMrkdwn(c.copyId)}\` (heartbeat ${formatDuration(c.beatAgoSeconds)} ago)`);
  const more = copies.length > shown.length ? `, …and ${copies.length - shown.length} more` : '';
  return `*Alert watch copies*: ${shown.length ? shown.join(', ') + more : 'none yet'}. \`${invocation} status\` has the details.`;
}

function commandSections(commands: HomeInput['commands'], invocation: string): KnownBlock[] {
  const lines = commands.map((c) => `\`${invocation} ${escapeMrkdwn(c.name)}\` — ${escapeMrkdwn(c.summary)}`);
  const chunks: string[][] = [['*Commands*']];
  for (const line of lines) {
    if (chunks[chunks.length - 1]!.join('\n').length + line.length + 1 > LIMITS.sectionText) chunks.push([]);
    chunks[chunks.length - 1]!.push(line);
  }
  return chunks.map((chunk) => sectionBlock(chunk.join('\n')));
}
