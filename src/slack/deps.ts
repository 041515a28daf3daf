import type { HistoryReader } from '../engine/history.js';
import type { Pool } from '../db/driver.js';
import type { Config } from '../config/schema.js';
import type { SlackConfig } from '../config/slack.js';
import type { Targets } from '../db/targets.js';
import type { Logger } from '../log/logger.js';
import type { DigestSource } from '../schedule/on-demand.js';
import type { Authorizer } from './authorize.js';
import type { SlackHealing } from './healing.js';
import type { Jobs } from './jobs.js';
import type { StatusBoard } from './status.js';

/** What the Slack listeners work with; built once by the app factory and passed in, never imported. */
export interface SlackDeps {
  config: Config;
  slack: SlackConfig;
  targets: Targets;
  logger: Logger;
  authorizer: Authorizer;
  status: StatusBoard;
  jobs: Jobs;
  now: () => Date;
  /** The approval flow; undefined without a state database (no buttons, action commands refused). */
  healing?: SlackHealing;
  /** `/pg digest`: attached after the app is built (its poster uses the app's client); see slack/schedule.ts. */
  digests?: DigestSource;
  /** `/pg trend`: the state database's daily snapshots; attached with the schedule (slack/schedule.ts). */
  snapshots?: Pick<Pool, 'query'>;
  /** `--since` and `--regressed`: the query history in the state database; attached with the schedule. */
  history?: HistoryReader;
  /** The alert watch of this copy, when it runs (`/pg status`, the Home tab); attached with the schedule. */
  watch?: {
    intervalMs: number;
    /** The watched target whose look stands for this one (itself, or its server's lead); undefined when not watched. */
    leadOf(name: string): string | undefined;
  };
}
