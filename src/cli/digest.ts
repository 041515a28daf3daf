import { loadConfig } from '../config/load.js';
import { loadScheduleConfig } from '../config/schedule.js';
import { loadStateConfig } from '../config/state.js';
import { createTargets } from '../db/targets.js';
import { AppError } from '../errors.js';
import { renderDigestText } from '../schedule/digest-messages.js';
import type { Digest } from '../schedule/digest-model.js';
import { statelessDigests } from '../schedule/on-demand.js';
import type { Poster, ScheduleLog } from '../schedule/poster.js';
import { createScheduler } from '../schedule/scheduler.js';
import { createStatePool } from '../state/pool.js';
import type { CliArgs } from './args.js';

const NO_TRENDS = 'Trends (what changed since yesterday and over 7 days) need PGMEDIC_STATE_DATABASE_URL: the daily snapshots live there.';

/** The CLI prints; nothing is posted. */
const NOWHERE: Poster = {
  post: () => Promise.reject(new Error('the CLI does not post')),
  update: () => Promise.reject(new Error('the CLI does not post')),
};

/** Warnings (a trend snapshot that could not be written) go to stderr, one line each. */
const stderrLog: ScheduleLog = {
  info: () => undefined,
  warn: (_fields, message) => void process.stderr.write(`pgmedic: ${message}\n`),
  error: (_fields, message) => void process.stderr.write(`pgmedic: ${message}\n`),
};

/** `pgmedic digest [--target NAME]`: the digest now; with the state database it records today's snapshot and shows trends. */
export async function runDigest(args: CliArgs, color: boolean): Promise<{ output: string; digest: Digest }> {
  if (args.rest.length) throw new AppError('bad_option', '`digest` takes only --target NAME and --format.', { hint: 'For example `pgmedic digest --target prod`.' });
  const config = loadConfig();
  const schedule = loadScheduleConfig(config);
  const { url } = loadStateConfig();
  const targets = createTargets(config);
  const statePool = url ? createStatePool(url, 2) : undefined;
  try {
    const options = args.target ? { targets: [args.target] } : {};
    const source = statePool ? createScheduler({ statePool, targets, poster: NOWHERE, log: stderrLog, schedule }) : statelessDigests({ targets, schedule, poster: NOWHERE, log: stderrLog });
    const digest = await source.digestNow(options);
    if (args.format === 'json') return { digest, output: JSON.stringify(digest, null, 2) };
    return { digest, output: `${renderDigestText(digest, { color })}${statePool ? '' : `\n\n${NO_TRENDS}`}` };
  } finally {
    await Promise.all([targets.closeAll(), statePool?.end()]);
  }
}
