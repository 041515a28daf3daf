import type { QueryTextMode } from '../redact/query-text.js';
import { applyQueryText, redactQueryFields } from '../report/query-text.js';
import type { Report } from '../report/model.js';
import type { Pool } from '../db/driver.js';
import { loadConfig } from '../config/load.js';
import { loadScheduleConfig } from '../config/schedule.js';
import { loadStateConfig } from '../config/state.js';
import { createTargets } from '../db/targets.js';
import { describeError } from '../errors.js';
import { prepareDisplayWidth } from '../report/width.js';
import { renderDigestText } from '../schedule/digest-messages.js';
import type { Digest } from '../schedule/digest-model.js';
import { statelessDigests } from '../schedule/on-demand.js';
import type { Poster, ScheduleLog } from '../schedule/poster.js';
import { createScheduler } from '../schedule/scheduler.js';
import { createStatePool } from '../state/pool.js';
import type { CliArgs } from './args.js';

const NO_TRENDS =
  'Trends (what changed since yesterday and over 7 days) need PGMEDIC_STATE_DATABASE_URL: the daily snapshots live there.';

/** The CLI prints; nothing is posted. */
const NOWHERE: Poster = {
  post: () => Promise.reject(new Error('the CLI does not post')),
  update: () => Promise.reject(new Error('the CLI does not post')),
};

/** Warnings (a trend snapshot that could not be written) go to stderr, one line each. */
const stderrLog: ScheduleLog = {
  info: () => undefined,
  warn: (fields, message) =>
    void process.stderr.write(`pgmedic: ${message}${typeof fields.error === 'string' ? ` (${fields.error})` : ''}\n`),
  error: (fields, message) =>
    void process.stderr.write(`pgmedic: ${message}${typeof fields.error === 'string' ? ` (${fields.error})` : ''}\n`),
};

/**
 * `pgmedic digest [target]`: the digest now. With the state database it also records today's snapshot
 * (as the bot's digest does; the latest of the day wins) and shows what changed.
 */
export async function runDigest(args: CliArgs, color: boolean): Promise<{ output: string; digest: Digest }> {
  const config = await loadConfig();
  const schedule = loadScheduleConfig(config);
  const { url } = loadStateConfig();
  const targets = createTargets(config);
  const statePool = url ? createStatePool(url, 2) : undefined;
  try {
    const options = args.target ? { targets: [args.target] } : {};
    const trends = statePool ? await trendsReady(statePool) : NO_TRENDS;
    const source =
      trends === true && statePool
        ? createScheduler({ statePool, targets, poster: NOWHERE, log: stderrLog, schedule })
        : statelessDigests({ targets, schedule, poster: NOWHERE, log: stderrLog });
    const digest = withQueryText(await source.digestNow(options), args.redact);
    if (args.format === 'json') return { digest, output: JSON.stringify(digest, null, 2) };
    await prepareDisplayWidth(JSON.stringify(digest));
    return { digest, output: `${renderDigestText(digest, { color })}${trends === true ? '' : `\n\n${trends}`}` };
  } finally {
    await Promise.all([targets.closeAll(), statePool?.end()]);
  }
}

/** True when the bot has created its schema in the state database; otherwise why there are no trends. */
async function trendsReady(pool: Pool): Promise<true | string> {
  try {
    const { rows } = await pool.query<{ ready: boolean }>(
      "SELECT to_regclass('pgmedic.relation_snapshots') IS NOT NULL AS ready",
    );
    return rows[0]?.ready
      ? true
      : 'No trends: the state database has no pgmedic schema yet (start the bot once with PGMEDIC_STATE_DATABASE_URL set; it creates it).';
  } catch (error) {
    return `No trends: the state database did not answer (${describeError(error).text}).`;
  }
}

/**
 * As every CLI output: query text in full (passwords masked) unless --redact; JSON carries the reports and
 * findings too, so both pass through the one redaction boundary (src/report/query-text.ts).
 */
function withQueryText(digest: Digest, redact: boolean): Digest {
  const modeOf = (report: Report | null): QueryTextMode =>
    !redact ? 'full' : report?.queryText === 'hidden' ? 'hidden' : 'redacted';
  const targets = digest.targets.map((t) => ({
    ...t,
    pieces: t.pieces.map((p) => ({
      ...p,
      report: p.report && applyQueryText(p.report, modeOf(p.report)),
      findings: redactQueryFields(p.findings, modeOf(p.report)),
    })),
  }));
  return { ...digest, targets };
}
