export type { HistoryReader, TargetHistory } from '../db/history-types.js';

/** Why a command has no history to read, for its report. */
export const NO_HISTORY_READER =
  'Query history lives in the state database: set PGMEDIC_STATE_DATABASE_URL; the bot then takes a snapshot every 15 minutes (PGMEDIC_SNAPSHOT_CRON), and `pgmedic snapshot` takes one now.';
export const noSnapshotsYet = (target: string) =>
  `There are no snapshots of ${target} yet: the bot takes one every 15 minutes (PGMEDIC_SNAPSHOT_CRON) once PGMEDIC_STATE_DATABASE_URL is set, and \`pgmedic snapshot --target ${target}\` takes one now.`;
