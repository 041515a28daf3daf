import {
  beatCopy,
  claimLeases,
  ensureLeaseRows,
  forgetCopy,
  releaseLeases,
  renewLeases,
  takeDue,
  type LeaseScope,
} from '../state/leases.js';
import type { Queryable } from '../state/requests.js';

/** Which targets this copy looks at this interval; the others are other copies' share. */
export interface WorkShare {
  /** Call once per interval, at its start: renews, rebalances and claims, then returns the targets due here. */
  pick(targets: readonly string[]): Promise<string[]>;
  /** A round still running when the next is due: this copy stays live and keeps its leases, checking nothing new. */
  renew(targets: readonly string[]): Promise<void>;
  /** On stop: the leases go back at once, so another copy takes them at its next round (not after expiry). */
  release(): Promise<void>;
}

export interface WorkShareOptions {
  db: Queryable;
  work: string;
  /** The copy's identity (the one healing records as executor: src/heal/limbo.ts). */
  copyId: string;
  intervalMs: number;
  /** How long a starting copy waits between its first beat and its first claim (default: settleMsFor). */
  settleMs?: number;
}

/**
 * A lease lasts two intervals: a copy renews every interval, so one late round does not lose it, and a copy that
 * died without releasing is replaced within one interval plus the lease (at most three intervals).
 */
export const leaseMsFor = (intervalMs: number) => 2 * intervalMs;

/**
 * A starting copy beats, then waits this long before it counts the live copies and claims: copies started together
 * (a deploy) see each other before anyone claims, instead of the first one taking every target.
 */
export const settleMsFor = (intervalMs: number) => Math.min(intervalMs / 2, 2_000);

/**
 * Fair share: a copy holds at most ceil(targets / live copies), live meaning it beat within the lease time.
 * Simple and stateless: no coordinator, no ranking; a copy above its share (one joined) gives back the extras, a copy
 * below it claims the least recently checked free targets. Each target is checked at most once per interval (a
 * lease and the last-checked stamp); while copies join or leave, a handed-back target may wait one interval.
 */
export function createWorkShare(options: WorkShareOptions): WorkShare {
  const scope: LeaseScope = { work: options.work, copyId: options.copyId, leaseMs: leaseMsFor(options.intervalMs) };
  const known = new Set<string>();
  let settled = false;
  return {
    async pick(targets) {
      if (!settled) {
        await beatCopy(options.db, scope.copyId, scope.leaseMs);
        await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? settleMsFor(options.intervalMs)));
        settled = true;
      }
      // A removed target's row is deleted (src/schedule/alerts/retire.ts): forgotten here, so it gets one again if it returns.
      const current = new Set(targets);
      for (const t of known) if (!current.has(t)) known.delete(t);
      const fresh = targets.filter((t) => !known.has(t));
      if (fresh.length) {
        await ensureLeaseRows(options.db, scope.work, fresh);
        for (const t of fresh) known.add(t);
      }
      const live = await beatCopy(options.db, scope.copyId, scope.leaseMs);
      const share = Math.ceil(targets.length / live);
      const held = await renewLeases(options.db, scope, targets);
      const extra = held.slice(share);
      if (extra.length) await releaseLeases(options.db, scope, extra);
      const kept = held.slice(0, share);
      const claimed = await claimLeases(options.db, scope, targets, share - kept.length);
      // Half an interval apart: rounds start on interval boundaries, so this tells this interval from the last.
      return takeDue(options.db, scope, [...kept, ...claimed], options.intervalMs / 2);
    },
    async renew(targets) {
      await beatCopy(options.db, scope.copyId, scope.leaseMs);
      await renewLeases(options.db, scope, targets);
    },
    async release() {
      await releaseLeases(options.db, scope);
      await forgetCopy(options.db, scope.copyId);
    },
  };
}
