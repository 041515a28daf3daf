import type { Queryable } from './requests.js';

/**
 * Lease SQL for work shared across copies (the policy is src/schedule/share.ts). Times come from the state
 * database's clock, never a copy's: copies on hosts with skewed clocks still agree on who holds what.
 */
export interface LeaseScope {
  /** The periodic job, e.g. 'alerts'. */
  work: string;
  copyId: string;
  /** A lease not renewed for this long is free for any copy. */
  leaseMs: number;
}

export interface LeaseRow {
  work: string;
  target: string;
  holder: string | null;
  expiresAt: string;
  lastCheckedAt: string | null;
}

const secs = (ms: number) => ms / 1000;

/** This copy is alive; returns how many copies (itself included) beat within `liveMs`. Long-gone copies are forgotten. */
export async function beatCopy(db: Queryable, copyId: string, liveMs: number): Promise<number> {
  const { rows } = await db.query<{ live: number }>(
    `WITH beat AS (INSERT INTO pgmedic.watch_copies (copy_id, seen_at) VALUES ($1, now())
                   ON CONFLICT (copy_id) DO UPDATE SET seen_at = now()),
          gone AS (DELETE FROM pgmedic.watch_copies WHERE copy_id <> $1 AND seen_at < now() - make_interval(secs => $2::float8 * 10))
     SELECT count(*)::int + 1 AS live FROM pgmedic.watch_copies WHERE copy_id <> $1 AND seen_at >= now() - make_interval(secs => $2::float8)`,
    [copyId, secs(liveMs)],
  );
  return rows[0]!.live;
}

/** One free lease row per target, so claims have a row to lock. */
export async function ensureLeaseRows(db: Queryable, work: string, targets: readonly string[]): Promise<void> {
  await db.query(
    'INSERT INTO pgmedic.watch_leases (work, target) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING',
    [work, targets],
  );
}

/** Extends this copy's leases among `targets`; returns the targets it still holds. */
export async function renewLeases(db: Queryable, scope: LeaseScope, targets: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ target: string }>(
    `UPDATE pgmedic.watch_leases SET expires_at = now() + make_interval(secs => $4::float8), renewed_at = now()
     WHERE work = $1 AND holder = $2 AND target = ANY ($3::text[]) RETURNING target`,
    [scope.work, scope.copyId, targets, secs(scope.leaseMs)],
  );
  return rows.map((r) => r.target).sort();
}

/**
 * Takes up to `limit` free or expired leases among `targets`, least recently checked first. SKIP LOCKED: two
 * copies claiming at once never wait for each other and never take the same row; a row another copy claimed
 * after this statement's snapshot is re-checked under the lock, so its fresh expiry keeps it.
 */
export async function claimLeases(
  db: Queryable,
  scope: LeaseScope,
  targets: readonly string[],
  limit: number,
): Promise<string[]> {
  if (limit <= 0) return [];
  const { rows } = await db.query<{ target: string }>(
    `WITH free AS (
       SELECT work, target FROM pgmedic.watch_leases
       WHERE work = $1 AND target = ANY ($3::text[]) AND expires_at < now()
       ORDER BY last_checked_at NULLS FIRST, target LIMIT $5 FOR UPDATE SKIP LOCKED)
     UPDATE pgmedic.watch_leases l SET holder = $2, expires_at = now() + make_interval(secs => $4::float8), renewed_at = now()
     FROM free WHERE l.work = free.work AND l.target = free.target RETURNING l.target`,
    [scope.work, scope.copyId, targets, secs(scope.leaseMs), limit],
  );
  return rows.map((r) => r.target).sort();
}

/** Gives up this copy's leases on `targets` (all of them when omitted); other copies may take them at its next round. */
export async function releaseLeases(
  db: Queryable,
  scope: Pick<LeaseScope, 'work' | 'copyId'>,
  targets?: readonly string[],
): Promise<void> {
  await db.query(
    `UPDATE pgmedic.watch_leases SET holder = NULL, expires_at = '-infinity'
     WHERE work = $1 AND holder = $2 AND ($3::text[] IS NULL OR target = ANY ($3::text[]))`,
    [scope.work, scope.copyId, targets ?? null],
  );
}

/**
 * Of the targets this copy holds, those not checked within `minGapMs`, stamped as checked now: the last guard
 * against a target being looked at twice in one interval when its lease just changed hands.
 */
export async function takeDue(
  db: Queryable,
  scope: Pick<LeaseScope, 'work' | 'copyId'>,
  targets: readonly string[],
  minGapMs: number,
): Promise<string[]> {
  const { rows } = await db.query<{ target: string }>(
    `UPDATE pgmedic.watch_leases SET last_checked_at = now()
     WHERE work = $1 AND holder = $2 AND target = ANY ($3::text[])
       AND (last_checked_at IS NULL OR last_checked_at < now() - make_interval(secs => $4::float8))
     RETURNING target`,
    [scope.work, scope.copyId, targets, secs(minGapMs)],
  );
  return rows.map((r) => r.target).sort();
}

/** Who holds what (for a status view and tests). */
export async function listLeases(db: Queryable, work: string): Promise<LeaseRow[]> {
  const { rows } = await db.query<{
    work: string;
    target: string;
    holder: string | null;
    expires_at: Date;
    last_checked_at: Date | null;
  }>(
    'SELECT work, target, holder, expires_at, last_checked_at FROM pgmedic.watch_leases WHERE work = $1 ORDER BY target',
    [work],
  );
  return rows.map((r) => ({
    work: r.work,
    target: r.target,
    holder: r.holder,
    expiresAt: String(r.expires_at instanceof Date ? r.expires_at.toISOString() : r.expires_at),
    lastCheckedAt: r.last_checked_at?.toISOString() ?? null,
  }));
}

/** A stopping copy leaves the live count at once, so the others' fair share grows at their next round. */
export async function forgetCopy(db: Queryable, copyId: string): Promise<void> {
  await db.query('DELETE FROM pgmedic.watch_copies WHERE copy_id = $1', [copyId]);
}

export interface CopyRow {
  copyId: string;
  /** Seconds since its last beat, by the state database's clock. */
  beatAgoSeconds: number;
}

/** The copies that beat recently, most recent first (for a status view). */
export async function listCopies(db: Queryable): Promise<CopyRow[]> {
  const { rows } = await db.query<{ copy_id: string; ago: number }>(
    'SELECT copy_id, extract(epoch FROM now() - seen_at)::float8 AS ago FROM pgmedic.watch_copies ORDER BY seen_at DESC, copy_id',
  );
  return rows.map((r) => ({ copyId: r.copy_id, beatAgoSeconds: Math.max(0, Number(r.ago)) }));
}

export interface LeaseAge {
  target: string;
  holder: string | null;
  /** Seconds until the lease expires (negative: expired), by the state database's clock. */
  expiresInSeconds: number | null;
  /** Seconds since the target was last checked; null when never. */
  checkedAgoSeconds: number | null;
}

/** Who holds what and how long ago each target was checked, in the state database's clock (for a status view). */
export async function listLeaseAges(db: Queryable, work: string): Promise<LeaseAge[]> {
  const { rows } = await db.query<{
    target: string;
    holder: string | null;
    expires: number | null;
    ago: number | null;
  }>(
    `SELECT target, holder,
            CASE WHEN expires_at = '-infinity' THEN NULL ELSE extract(epoch FROM expires_at - now())::float8 END AS expires,
            extract(epoch FROM now() - last_checked_at)::float8 AS ago
     FROM pgmedic.watch_leases WHERE work = $1 ORDER BY target`,
    [work],
  );
  return rows.map((r) => ({
    target: r.target,
    holder: r.holder,
    expiresInSeconds: r.expires === null ? null : Number(r.expires),
    checkedAgoSeconds: r.ago === null ? null : Math.max(0, Number(r.ago)),
  }));
}
