import type { Queryable } from '../../state/requests.js';
import type { Poster, ScheduleLog } from '../poster.js';
import { fingerprintOf, firingMessage, resolutionReply, resolvedMessage } from './messages.js';
import type { TargetObservation } from './observe.js';
import type { Observation } from './rules.js';
import {
  attachAlertMessage,
  changeFiring,
  insertFiring,
  reopen,
  resolveAbsent,
  type AlertRow,
} from '../../state/alerts.js';

export interface AlertSettings {
  channel: string;
  /** A cleared alert that comes back within this reuses its message (an edit, not a new notification). */
  cooldownSeconds: number;
  /** An alert resolves once its condition has not been seen for this long. */
  resolveAfterSeconds: number;
  /** A post that never got a message ts is retried after this. */
  retryPostSeconds: number;
}

export interface AlertDeps {
  db: Queryable;
  poster: Poster;
  log: ScheduleLog;
  settings: AlertSettings;
}

/** What this copy did in one round; another copy doing the same round does nothing twice. */
export interface Transitions {
  posted: string[];
  updated: string[];
  resolved: string[];
}

/** Moves every alert of the target one step: fire, update, resolve, each a compare-and-set in the state database. */
export async function reconcile(deps: AlertDeps, look: TargetObservation): Promise<Transitions> {
  const done: Transitions = { posted: [], updated: [], resolved: [] };
  for (const o of look.observations) await raise(deps, look, o, done);
  const seen = look.observations.map((o) => o.key);
  const cleared = await resolveAbsent(
    deps.db,
    look.target,
    seen,
    look.failedChecks,
    look.observedAt,
    deps.settings.resolveAfterSeconds,
  );
  for (const row of cleared) await announceResolution(deps, row, look.observedAt, done);
  return done;
}

async function raise(deps: AlertDeps, look: TargetObservation, o: Observation, done: Transitions): Promise<void> {
  const { db, settings } = deps;
  const fingerprint = fingerprintOf(o);
  const at = look.observedAt;
  const row =
    (await insertFiring(db, look.target, o, fingerprint, at, settings.channel)) ??
    (await reopen(db, look.target, o, fingerprint, at, settings.cooldownSeconds)) ??
    (await changeFiring(db, look.target, o, fingerprint, at, settings.retryPostSeconds));
  if (!row) return;
  const message = firingMessage(look.target, o, row, at, look.alsoCovers);
  await deliver(deps, `alert ${look.target} ${o.key}`, async () => {
    if (row.messageTs && row.channel) {
      await deps.poster.update(row.channel, row.messageTs, message);
      done.updated.push(o.key);
      return;
    }
    const channel = row.channel ?? settings.channel;
    const { ts } = await deps.poster.post(channel, message);
    await attachAlertMessage(db, look.target, o.key, channel, ts);
    done.posted.push(o.key);
    deps.log.info({ target: look.target, alert: o.key, severity: o.severity }, 'alert raised');
  });
}

async function announceResolution(deps: AlertDeps, row: AlertRow, at: Date, done: Transitions): Promise<void> {
  done.resolved.push(row.key);
  deps.log.info({ target: row.target, alert: row.key }, 'alert resolved');
  // Never posted (the post failed): nobody saw it fire, so there is nothing to resolve in the channel.
  if (!row.messageTs || !row.channel) return;
  await deliver(deps, `resolution ${row.target} ${row.key}`, async () => {
    await deps.poster.update(row.channel!, row.messageTs!, resolvedMessage(row, at));
    await deps.poster.post(row.channel!, resolutionReply(row, at));
  });
}

/** Slack being down must not stop the round: the state row stays, and the next round retries. */
async function deliver(deps: AlertDeps, what: string, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    deps.log.error(
      { what, error: error instanceof Error ? error.message : String(error) },
      'could not deliver an alert message',
    );
  }
}
