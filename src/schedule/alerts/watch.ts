import type { Target } from '../../db/targets.js';
import { createLimiter } from '../bounded.js';
import { SCHEDULE_DEFAULTS } from '../../config/schedule-schema.js';
import { serverBudget } from '../server-budget.js';
import type { WorkShare } from '../share.js';
import { reconcile, type AlertDeps, type Transitions } from './lifecycle.js';
import { observeTarget, type TargetObservation } from './observe.js';
import { retireWatchedWith } from './retire.js';
import { groupByServer, type WatchGroup } from './server-groups.js';

export interface AlertWatchOptions extends AlertDeps {
  /** The targets to watch, or a function giving them each round (they change on reload and discovery). */
  targets: readonly Target[] | (() => readonly Target[]);
  intervalMs: number;
  fireAt: 'warn' | 'crit';
  /** Targets looked at once. */
  concurrency?: number;
  /** Connections this copy's watch holds on one server at most (targets that are databases of one server). */
  connectionsPerServer?: number;
  now?: () => Date;
  /** Leases in the state database: this copy checks only its share of the targets. Without it, all of them. */
  share?: WorkShare;
  /** The look at one target (tests count them); observeTarget by default. */
  observe?: (target: Target, fireAt: 'warn' | 'crit', now: () => Date) => Promise<TargetObservation>;
  /** Which targets one look stands for: groupByServer by default (one look per server, role and settings). */
  groups?: (targets: readonly Target[]) => WatchGroup[];
}

export interface AlertWatch {
  start(): void;
  stop(): Promise<void>;
  /** One round over this copy's targets (what the timer runs); returns what this copy posted, updated, resolved. */
  checkOnce(): Promise<Transitions[]>;
  /** The target whose look (lease, last check, alerts) stands for this one: itself, or its server's lead. */
  leadOf(name: string): string | undefined;
}

/**
 * Every copy of the bot runs its own watch. With a share (src/schedule/share.ts) each target is looked at by one
 * copy per interval; either way the state database's compare-and-sets make sure each alert is posted, updated and
 * resolved once. A round still running when the next is due makes that one skip.
 */
export function createAlertWatch(options: AlertWatchOptions): AlertWatch {
  const now = options.now ?? (() => new Date());
  const limit = createLimiter(options.concurrency ?? 8);
  const budget = serverBudget(options.connectionsPerServer ?? SCHEDULE_DEFAULTS.alertConnectionsPerServer);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  const observe = options.observe ?? observeTarget;
  const overrun = overrunNotice(options.log, options.intervalMs);

  const all = () => (typeof options.targets === 'function' ? options.targets() : options.targets);
  const groupsOf = options.groups ?? groupByServer;
  const leads = leadsByMember(groupsOf);
  const mine = async (): Promise<readonly WatchGroup[]> => {
    const groups = groupsOf(all());
    if (!options.share) return groups;
    try {
      const names = new Set(await options.share.pick(groups.map((g) => g.lead.name)));
      return groups.filter((g) => names.has(g.lead.name));
    } catch (error) {
      // No state database, no lease: checking nothing beats every copy checking everything; the next round retries.
      options.log.error(
        { error: error instanceof Error ? error.message : String(error) },
        "could not take this copy's share of the alert targets",
      );
      return [];
    }
  };

  // Targets that became members of another's group (a reload made their settings equal) have alerts nothing clears.
  let membersSeen = '';
  const retireMembers = async (groups: readonly WatchGroup[]) => {
    const members = groups.flatMap((g) => g.members.slice(1).map((m) => [m.name, g.lead.name] as const));
    const key = members.map(([m]) => m).join('\n');
    if (key === membersSeen) return;
    const leadOf = new Map(members);
    await retireWatchedWith(options, [...leadOf.keys()], (m) => leadOf.get(m) ?? m, now());
    membersSeen = key;
  };

  const checkOnce = async () => {
    const groups = await mine();
    await retireMembers(groups).catch((error: Error) =>
      options.log.warn({ error: error.message }, 'could not close the alerts of targets now watched with another'),
    );
    const targets = groups.map((g) => g.lead);
    budget.plan(targets);
    const done = await Promise.all(
      groups.map(({ lead: target, members }) =>
        budget.run(target, () =>
          limit(async () => {
            try {
              const look = await observe(target, options.fireAt, now);
              // Removed by a reload or a discovery while it was looked at: its closed pool is no outage to report.
              if (!all().includes(target)) return { posted: [], updated: [], resolved: [] };
              return await reconcile(options, { ...look, alsoCovers: members.length - 1 });
            } catch (error) {
              options.log.error(
                { target: target.name, error: error instanceof Error ? error.message : String(error) },
                'alert check failed',
              );
              return { posted: [], updated: [], resolved: [] };
            }
          }),
        ),
      ),
    );
    // A round that took long (slow servers, many targets) says the copy is still alive before the others count it out.
    if (targets.length) await options.share?.renew(targets.map((t) => t.name)).catch(() => undefined);
    return done;
  };

  const tick = () => {
    if (stopped) return;
    if (!running) running = checkOnce().finally(() => (running = undefined));
    else {
      // A slow round (a server timing out) must not look like a dead copy: its leases would move mid-round.
      options.share
        ?.renew(groupsOf(all()).map((g) => g.lead.name))
        .catch((error: Error) => options.log.warn({ error: error.message }, 'could not renew the alert leases'));
      overrun.skipped();
    }
    timer = setTimeout(tick, options.intervalMs - (Date.now() % options.intervalMs));
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await options.share
        ?.release()
        .catch((error: Error) =>
          options.log.warn({ error: error.message }, 'could not hand back the alert leases; they expire on their own'),
        );
    },
    checkOnce,
    leadOf: (name) => leads.of(all()).get(name),
  };
}

/**
 * Rounds longer than the interval skip ticks, so targets are looked at less often than configured: said in the log
 * at most once a minute, with how many ticks were skipped, so an operator can raise the interval or add copies.
 */
function overrunNotice(log: AlertWatchOptions['log'], intervalMs: number) {
  let skipped = 0;
  let lastSaid = 0;
  return {
    skipped() {
      skipped++;
      if (Date.now() - lastSaid < 60_000) return;
      log.warn(
        { skippedTicks: skipped, intervalMs },
        'alert rounds take longer than the interval, so ticks are skipped: raise alerts.intervalSeconds or run more copies',
      );
      lastSaid = Date.now();
      skipped = 0;
    },
  };
}

/** Each target's lead, worked out again only when the target list changed (the Home tab asks once per target). */
function leadsByMember(groupsOf: (targets: readonly Target[]) => WatchGroup[]) {
  let list: readonly Target[] = [];
  let byMember = new Map<string, string>();
  return {
    of(targets: readonly Target[]): ReadonlyMap<string, string> {
      if (targets.length !== list.length || targets.some((t, i) => t !== list[i])) {
        byMember = new Map(groupsOf(targets).flatMap((g) => g.members.map((m) => [m.name, g.lead.name] as const)));
        list = targets;
      }
      return byMember;
    },
  };
}
