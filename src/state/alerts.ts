import type { Queryable } from './requests.js';

/** What an alert rule saw (src/schedule/alerts/rules.ts, Observation): the fields stored. */
export interface AlertFacts {
  key: string;
  severity: 'warn' | 'crit';
  summary: string;
}

/** One alert as stored: one row per (target, key), shared by every copy of the bot. */
export interface AlertRow {
  target: string;
  key: string;
  status: 'firing' | 'resolved';
  severity: 'warn' | 'crit';
  summary: string;
  fingerprint: string;
  channel: string | null;
  messageTs: string | null;
  firstSeen: string;
  lastSeen: string;
  lastChange: string;
  resolvedAt: string | null;
  flaps: number;
}

export interface Row {
  target: string;
  alert_key: string;
  status: AlertRow['status'];
  severity: AlertRow['severity'];
  summary: string;
  fingerprint: string;
  channel: string | null;
  message_ts: string | null;
  first_seen: Date;
  last_seen: Date;
  last_change: Date;
  resolved_at: Date | null;
  flaps: number;
}

export const toAlert = (r: Row): AlertRow => ({
  target: r.target,
  key: r.alert_key,
  status: r.status,
  severity: r.severity,
  summary: r.summary,
  fingerprint: r.fingerprint,
  channel: r.channel,
  messageTs: r.message_ts,
  firstSeen: r.first_seen.toISOString(),
  lastSeen: r.last_seen.toISOString(),
  lastChange: r.last_change.toISOString(),
  resolvedAt: r.resolved_at?.toISOString() ?? null,
  flaps: r.flaps,
});

const first = (rows: Row[]) => (rows[0] ? toAlert(rows[0]) : undefined);

/** A new alert: exactly one copy gets the row back and posts it. */
export async function insertFiring(
  db: Queryable,
  target: string,
  o: AlertFacts,
  fingerprint: string,
  at: Date,
  channel: string,
): Promise<AlertRow | undefined> {
  const { rows } = await db.query<Row>(
    `INSERT INTO pgmedic.alerts (target, alert_key, status, severity, summary, fingerprint, channel, first_seen, last_seen, last_change)
     VALUES ($1, $2, 'firing', $3, $4, $5, $6, $7, $7, $7) ON CONFLICT (target, alert_key) DO NOTHING RETURNING *`,
    [target, o.key, o.severity, o.summary, fingerprint, channel, at],
  );
  return first(rows);
}

/**
 * resolved → firing again, once. Within the cooldown it keeps its message (the post is updated, not
 * repeated: flapping costs an edit, not a notification); after it, the message is cleared for a new post.
 * An observation that started before the resolution cannot reopen it.
 */
export async function reopen(
  db: Queryable,
  target: string,
  o: AlertFacts,
  fingerprint: string,
  at: Date,
  cooldownSeconds: number,
): Promise<AlertRow | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.alerts a SET status = 'firing', severity = $3, summary = $4, fingerprint = $5, last_seen = $6, last_change = $6,
       flaps = CASE WHEN a.resolved_at >= $6::timestamptz - make_interval(secs => $7) THEN a.flaps + 1 ELSE 0 END,
       first_seen = CASE WHEN a.resolved_at >= $6::timestamptz - make_interval(secs => $7) THEN a.first_seen ELSE $6 END,
       message_ts = CASE WHEN a.resolved_at >= $6::timestamptz - make_interval(secs => $7) THEN a.message_ts END,
       resolved_at = NULL
     WHERE a.target = $1 AND a.alert_key = $2 AND a.status = 'resolved' AND a.resolved_at < $6
     RETURNING a.*`,
    [target, o.key, o.severity, o.summary, fingerprint, at, cooldownSeconds],
  );
  return first(rows);
}

/**
 * Still firing and what it says changed (or its post never got through and is stale): one copy gets the
 * row and updates (or posts) the message. Otherwise only last_seen moves. A row without a message ts whose
 * post is younger than retryPostSeconds is another copy's post in flight: changed wording must not make
 * this copy post a second message.
 */
export async function changeFiring(
  db: Queryable,
  target: string,
  o: AlertFacts,
  fingerprint: string,
  at: Date,
  retryPostSeconds: number,
): Promise<AlertRow | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.alerts a SET severity = $3, summary = $4, fingerprint = $5, last_seen = greatest(a.last_seen, $6), last_change = $6
     WHERE a.target = $1 AND a.alert_key = $2 AND a.status = 'firing' AND a.last_change < $6
       AND ((a.message_ts IS NOT NULL AND a.fingerprint <> $5)
            OR (a.message_ts IS NULL AND a.last_change < $6::timestamptz - make_interval(secs => $7)))
     RETURNING a.*`,
    [target, o.key, o.severity, o.summary, fingerprint, at, retryPostSeconds],
  );
  if (!rows[0]) {
    await db.query(
      "UPDATE pgmedic.alerts SET last_seen = greatest(last_seen, $3) WHERE target = $1 AND alert_key = $2 AND status = 'firing'",
      [target, o.key, at],
    );
  }
  return first(rows);
}

export async function attachAlertMessage(
  db: Queryable,
  target: string,
  key: string,
  channel: string,
  ts: string,
): Promise<void> {
  await db.query('UPDATE pgmedic.alerts SET channel = $3, message_ts = $4 WHERE target = $1 AND alert_key = $2', [
    target,
    key,
    channel,
    ts,
  ]);
}

/**
 * firing → resolved for every alert of the target not seen in this check, once. Alerts whose check failed
 * this time keep firing (no news is not good news), and only an observation that started after the alert
 * was last seen (plus resolveAfterSeconds) may resolve it: a slower copy's stale look cannot.
 */
export async function resolveAbsent(
  db: Queryable,
  target: string,
  seenKeys: string[],
  failedChecks: string[],
  observedAt: Date,
  resolveAfterSeconds: number,
): Promise<AlertRow[]> {
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.alerts a SET status = 'resolved', resolved_at = $4, last_change = $4
     WHERE a.target = $1 AND a.status = 'firing' AND a.alert_key <> ALL ($2::text[])
       AND split_part(a.alert_key, ':', 1) <> ALL ($3::text[])
       AND a.last_seen < $4::timestamptz - make_interval(secs => $5)
     RETURNING a.*`,
    [target, seenKeys, failedChecks, observedAt, resolveAfterSeconds],
  );
  return rows.map(toAlert);
}

export async function listAlerts(db: Queryable, target?: string): Promise<AlertRow[]> {
  const { rows } = await db.query<Row>(
    'SELECT * FROM pgmedic.alerts WHERE $1::text IS NULL OR target = $1 ORDER BY target, alert_key',
    [target ?? null],
  );
  return rows.map(toAlert);
}
