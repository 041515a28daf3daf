import type { Target, Targets } from '../db/targets.js';

/**
 * The targets a scheduled job acts on now: all live ones, or those of `configured` still live. Read at each run,
 * never kept: a reload or a discovery adds and removes targets while the bot runs, and a configured name that is
 * gone (a dropped database, a target taken out of the file) is skipped instead of failing the whole run.
 */
export function liveTargets(targets: Targets, configured?: readonly string[]): Target[] {
  const live = targets.names();
  if (!configured?.length) return live.map((n) => targets.get(n));
  const known = new Set(live);
  return configured.filter((n) => known.has(n)).map((n) => targets.get(n));
}

/** The configured names not live any more (said in the digest's log line). */
export function goneTargets(targets: Targets, configured?: readonly string[]): string[] {
  const known = new Set(targets.names());
  return (configured ?? []).filter((n) => !known.has(n));
}
