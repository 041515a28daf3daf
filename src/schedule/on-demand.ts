import type { ScheduleConfig } from '../config/schedule.js';
import type { Targets } from '../db/targets.js';
import { composeDigest } from './digest.js';
import { digestJobs, postDigest } from './digest-jobs.js';
import type { Digest } from './digest-model.js';
import { DEFAULT_SECTIONS, resolveSections } from './digest-sections.js';
import type { Poster, ScheduleLog } from './poster.js';
import { liveTargets } from './live-targets.js';

/** What `/pg digest` needs: the scheduler when a state database is set, statelessDigests otherwise. */
export interface DigestSource {
  digestNow(options?: { targets?: string[] }): Promise<Digest>;
  postDigest(channel: string, digest: Digest): Promise<{ ts: string }>;
}

export interface StatelessDigestDeps {
  targets: Targets;
  schedule: ScheduleConfig;
  poster: Poster;
  log: ScheduleLog;
  now?: () => Date;
}

/**
 * Digests on request without a state database: the same sections and time zone as the first configured
 * digest (bloat and vacuum by default), no trends (they need stored snapshots) and no schedule.
 */
export function statelessDigests(deps: StatelessDigestDeps): DigestSource {
  const job = digestJobs(deps.schedule.digests).values().next().value;
  const sections = job?.sections ?? resolveSections(DEFAULT_SECTIONS);
  return {
    digestNow(options = {}) {
      const targets = options.targets?.length
        ? options.targets.map((name) => deps.targets.get(name))
        : liveTargets(deps.targets, job?.config.targets);
      return composeDigest({
        name: job?.config.name ?? 'now',
        targets,
        sections,
        timezone: job?.config.timezone ?? 'UTC',
        ...(deps.now ? { now: deps.now } : {}),
      });
    },
    postDigest: (channel, digest) => postDigest(deps, channel, digest),
  };
}
