import { TREND_DAYS, TREND_METRICS } from '../charts/metrics.js';

/** `[target]` in Slack and on the command line (`pgmedic locks prod`); `--target NAME` works on both too. */
export const TARGET_SYNTAX = '[target]';

/** Subcommands that are not database commands (no CommandDefinition): they combine diagnostics or read the state database. */
export const EXTRA_COMMANDS: readonly {
  name: string;
  summary: string;
  usage: (invocation: string) => string;
  slackOnly?: boolean;
  /** Changes state on the command line only (Slack has the bot's schedule for it). */
  cliOnly?: boolean;
}[] = [
  {
    name: 'digest',
    summary:
      'The bloat and vacuum digest now: one summary, each section’s report in its thread (trends need the state database)',
    usage: (invocation) => `${invocation} digest ${TARGET_SYNTAX}`,
  },
  {
    name: 'trend',
    summary: 'A 7- or 30-day chart (PNG) from the digests’ daily snapshots (needs the state database)',
    usage: (invocation) =>
      `${invocation} trend <${TREND_METRICS.map((m) => m.name).join('|')}> ${TARGET_SYNTAX} [--days ${TREND_DAYS.join('|')}]`,
    // An image posted in the channel; a terminal has nowhere to show it.
    slackOnly: true,
  },
  {
    name: 'status',
    summary: 'The alert watch across copies: which copy checks which target, when each was last checked',
    usage: (invocation) => `${invocation} status`,
    // The copies' leases live in the state database the bot uses; the command line has no watch of its own.
    slackOnly: true,
  },
  {
    name: 'audit',
    summary: 'Recent healing actions: who asked, who approved, what ran (needs the state database)',
    usage: (invocation) => `${invocation} audit ${TARGET_SYNTAX} [--limit N]`,
  },
  {
    name: 'snapshot',
    summary:
      'A query-history snapshot now (statements, database counters, sizes) into the state database; the bot takes them on PGMEDIC_SNAPSHOT_CRON',
    usage: (invocation) => `${invocation} snapshot [--target NAME]`,
    cliOnly: true,
  },
];

export const isExtraCommand = (name: string): boolean => EXTRA_COMMANDS.some((c) => c.name === name.toLowerCase());
