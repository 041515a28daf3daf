import type { Target } from '../../db/targets.js';

/** Targets whose alert checks give the same answer: one look at the lead stands for all of them. */
export interface WatchGroup {
  /** The first of them in the configuration's order: its name carries the group's leases and alerts. */
  lead: Target;
  /** Every target of the group, the lead first. */
  members: readonly Target[];
}

/**
 * The alert checks (health, locks, connections, replication) read server-wide views: pg_stat_activity, pg_locks,
 * pg_stat_database summed, pg_stat_replication. Looked at through each of a server's databases they answer the same
 * thing N times and raise the same alert N times, so databases of one server, reached as the same role with the same
 * settings (typically those of a `discover: all-databases` entry), are looked at once, through the first of them.
 * Targets with different roles, thresholds or channels stay apart: what a look sees and when it alerts may differ.
 */
export function groupByServer(targets: readonly Target[]): WatchGroup[] {
  const groups = new Map<string, Target[]>();
  for (const target of targets) {
    const key = watchKeyOf(target);
    const members = groups.get(key);
    if (members) members.push(target);
    else groups.set(key, [target]);
  }
  return [...groups.values()].map((members) => ({ lead: members[0]!, members }));
}

/** Each target looked at on its own (tests and benches of the lease mechanics, which need many units on one server). */
export const oneGroupPerTarget = (targets: readonly Target[]): WatchGroup[] =>
  targets.map((target) => ({ lead: target, members: [target] }));

function watchKeyOf(target: Target): string {
  const { name: _n, url, actionUrl, discover: _d, include: _i, exclude: _e, ...settings } = target.config;
  return JSON.stringify([withoutDatabase(url), actionUrl && withoutDatabase(actionUrl), settings, target.thresholds]);
}

/** The connection URL minus its database: server, port, role, password and options stay part of the key. */
function withoutDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.pathname = '/';
    return parsed.toString();
  } catch {
    return url; // not a URL (a key=value string): a group of its own
  }
}
