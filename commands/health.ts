import { z } from 'zod';
import { excludeOwnBackends, secondsSince } from '../src/db/sql.js';
import { defineCommand } from '../src/engine/command.js';
import type { Status } from '../src/report/model.js';
import { assessHealth } from './health/checks.js';
import { healthReport } from './health/report.js';
import { collectLocks, HEALTH_LOCKS_SQL, type HealthLocks } from './health/locks.js';
import {
  LIMITS_SQL,
  limitsAtWarn,
  MAX_LIMITS,
  toLimit,
  type ConnectionLimit,
  type LimitRow,
} from './shared/connection-limits.js';

export interface ConnectionUse {
  /** Client backends, pgmedic's own included: they occupy slots too. */
  used: number;
  maxConnections: number;
  superuserReserved: number;
  /** reserved_connections (16+, for pg_use_reserved_connections); 0 before. */
  reserved: number;
  /** Share of the slots ordinary roles can use: max_connections minus both reserves. */
  usedPct: number;
  /** Databases and roles whose own CONNECTION LIMIT is at or past warn (limits at 0 never are), fullest first. */
  limitsAtWarn: ConnectionLimit[];
  /** Without pg_read_all_stats other roles' walsenders and workers count against a limit too (LIMITS_SQL). */
  canSeeAllSessions: boolean;
}

export interface OldestTransaction {
  /** null for a prepared transaction (it has no backend). */
  pid: number | null;
  preparedGid: string | null;
  state: string | null;
  seconds: number;
}

export interface XidAgeSummary {
  database: string;
  xidAge: number;
  freezeMaxAge: number;
  pctOfFreezeMaxAge: number;
  /** Share of the way to the stop limit (2^31 − 3 M), where PostgreSQL refuses new XIDs. */
  pctToStopLimit: number;
}

export interface PrimaryReplication {
  role: 'primary';
  standbys: number;
  worstReplayLagSeconds: number | null;
  worstReplayLagBytes: number | null;
  inactiveSlots: number;
}

export interface StandbyReplication {
  role: 'standby';
  /** Received but not yet replayed WAL. */
  replayGapBytes: number | null;
  /** 0 when everything received is replayed (an idle primary is not lag). */
  replayDelaySeconds: number | null;
  replayPaused: boolean;
  walReceiverRunning: boolean;
}

export type HealthCheckName = 'connections' | 'locks' | 'oldestTransaction' | 'xidAge' | 'cacheHit' | 'replication';

export interface HealthCheck {
  name: HealthCheckName;
  status: Status;
  detail: string;
  /** The command to run next when this check is not ok. */
  next: string | null;
}

export interface HealthFindings {
  reachable: true;
  role: 'primary' | 'standby';
  uptimeSeconds: number;
  connections: ConnectionUse;
  oldestTransaction: OldestTransaction | null;
  /** Sessions waiting on locks, their root blockers, sessions idle in transaction. */
  locks: HealthLocks;
  xidAge: XidAgeSummary;
  cacheHitPct: number | null;
  cacheBlocks: number;
  /** The window the cache hit ratio covers: since the oldest statistics reset, null when some never were (since start). */
  statsResetSeconds: number | null;
  replication: PrimaryReplication | StandbyReplication;
  checks: HealthCheck[];
}

/** Ages from varsup.c (14–18): XIDs stop being assigned 3 M short of 2^31. */
export const XID_STOP_LIMIT_AGE = 2 ** 31 - 1 - 3_000_000;

// Connections count every client backend, pgmedic's own included: they hold max_connections slots like any other.
const OVERVIEW_SQL = `
SELECT ${secondsSince('pg_postmaster_start_time()')} AS uptime_seconds,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
       (SELECT count(*) FROM pg_catalog.pg_stat_activity a WHERE a.backend_type = 'client backend')::int AS used,
       (SELECT sum(blks_hit)::float8 FROM pg_catalog.pg_stat_database) AS blks_hit,
       (SELECT sum(blks_read)::float8 FROM pg_catalog.pg_stat_database) AS blks_read,
       -- the longest window the summed counters cover: since start when any database was never reset
       (SELECT CASE WHEN bool_and(stats_reset IS NOT NULL) THEN ${secondsSince('min(stats_reset)')} END FROM pg_catalog.pg_stat_database) AS stats_reset_seconds`;

const OLDEST_TRANSACTION_SQL = `
(SELECT a.pid, NULL::text AS gid, a.state, ${secondsSince('a.xact_start')} AS seconds
   FROM pg_catalog.pg_stat_activity a
  WHERE a.xact_start IS NOT NULL AND a.backend_type = 'client backend' AND ${excludeOwnBackends('a')}
  ORDER BY a.xact_start LIMIT 1)
UNION ALL
(SELECT NULL, p.gid, 'prepared', ${secondsSince('p.prepared')}
   FROM pg_catalog.pg_prepared_xacts p ORDER BY p.prepared LIMIT 1)
ORDER BY seconds DESC LIMIT 1`;

const XID_AGE_SQL = `
SELECT datname AS database, age(datfrozenxid)::float8 AS xid_age,
       current_setting('autovacuum_freeze_max_age')::float8 AS freeze_max_age
FROM pg_catalog.pg_database ORDER BY age(datfrozenxid) DESC LIMIT 1`;

// pg_current_wal_lsn() fails during recovery: this runs on a primary only.
const PRIMARY_REPLICATION_SQL = `
SELECT count(*)::int AS standbys,
       max(extract(epoch FROM r.replay_lag))::float8 AS worst_replay_lag_seconds,
       max(pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn))::float8 AS worst_replay_lag_bytes,
       (SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE NOT active)::int AS inactive_slots
FROM pg_catalog.pg_stat_replication r`;

const STANDBY_REPLICATION_SQL = `
SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS replay_gap_bytes,
       (CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
             ELSE ${secondsSince('pg_last_xact_replay_timestamp()')} END)::float8 AS replay_delay_seconds,
       pg_get_wal_replay_pause_state() <> 'not paused' AS replay_paused,
       EXISTS (SELECT 1 FROM pg_catalog.pg_stat_wal_receiver) AS wal_receiver_running`;

interface OverviewRow {
  stats_reset_seconds: number | null;
  uptime_seconds: number;
  max_connections: number;
  superuser_reserved: number;
  reserved: number;
  used: number;
  blks_hit: number | null;
  blks_read: number | null;
}
interface OldestRow {
  pid: number | null;
  gid: string | null;
  state: string | null;
  seconds: number;
}
interface XidRow {
  database: string;
  xid_age: number;
  freeze_max_age: number;
}
interface PrimaryRow {
  standbys: number;
  worst_replay_lag_seconds: number | null;
  worst_replay_lag_bytes: number | null;
  inactive_slots: number;
}
interface StandbyRow {
  replay_gap_bytes: number | null;
  replay_delay_seconds: number | null;
  replay_paused: boolean;
  wal_receiver_running: boolean;
}

export default defineCommand({
  name: 'health',
  summary:
    "Is this database OK? Connections (and databases' and roles' own limits), oldest transaction, XID age, cache, replication, and what to run next",
  kind: 'diagnostic',
  options: z.object({}),
  sql: {
    overview: OVERVIEW_SQL,
    oldestTransaction: OLDEST_TRANSACTION_SQL,
    ...HEALTH_LOCKS_SQL,
    xidAge: XID_AGE_SQL,
    limits: LIMITS_SQL,
    primaryReplication: PRIMARY_REPLICATION_SQL,
    standbyReplication: STANDBY_REPLICATION_SQL,
  },

  async collect({ session, caps, thresholds }) {
    const [overview] = await session.query<OverviewRow>(OVERVIEW_SQL);
    const [oldest] = await session.query<OldestRow>(OLDEST_TRANSACTION_SQL);
    const [xid] = await session.query<XidRow>(XID_AGE_SQL);
    const locks = await collectLocks(session, thresholds);
    const limits = (await session.query<LimitRow>(LIMITS_SQL, [MAX_LIMITS])).map(toLimit);
    const replication = caps.inRecovery
      ? standbyReplication(await session.query<StandbyRow>(STANDBY_REPLICATION_SQL))
      : primaryReplication(await session.query<PrimaryRow>(PRIMARY_REPLICATION_SQL));
    const usable = Math.max(1, overview!.max_connections - overview!.superuser_reserved - overview!.reserved);
    const cacheBlocks = (overview!.blks_hit ?? 0) + (overview!.blks_read ?? 0);
    const measured = {
      reachable: true as const,
      role: replication.role,
      uptimeSeconds: overview!.uptime_seconds,
      connections: {
        used: overview!.used,
        maxConnections: overview!.max_connections,
        superuserReserved: overview!.superuser_reserved,
        reserved: overview!.reserved,
        usedPct: (100 * overview!.used) / usable,
        limitsAtWarn: limitsAtWarn(limits, thresholds),
        canSeeAllSessions: caps.roles.pgReadAllStats,
      },
      oldestTransaction: oldest
        ? { pid: oldest.pid, preparedGid: oldest.gid, state: oldest.state, seconds: oldest.seconds }
        : null,
      locks,
      xidAge: {
        database: xid!.database,
        xidAge: xid!.xid_age,
        freezeMaxAge: xid!.freeze_max_age,
        pctOfFreezeMaxAge: (100 * xid!.xid_age) / xid!.freeze_max_age,
        pctToStopLimit: (100 * xid!.xid_age) / XID_STOP_LIMIT_AGE,
      },
      cacheHitPct: cacheBlocks ? (100 * (overview!.blks_hit ?? 0)) / cacheBlocks : null,
      cacheBlocks,
      statsResetSeconds: overview!.stats_reset_seconds,
      replication,
    };
    return { ...measured, checks: assessHealth(measured, thresholds) };
  },

  report: healthReport,
});

function primaryReplication([row]: PrimaryRow[]): PrimaryReplication {
  return {
    role: 'primary',
    standbys: row?.standbys ?? 0,
    worstReplayLagSeconds: row?.worst_replay_lag_seconds ?? null,
    worstReplayLagBytes: row?.worst_replay_lag_bytes ?? null,
    inactiveSlots: row?.inactive_slots ?? 0,
  };
}

function standbyReplication([row]: StandbyRow[]): StandbyReplication {
  return {
    role: 'standby',
    replayGapBytes: row?.replay_gap_bytes ?? null,
    replayDelaySeconds: row?.replay_delay_seconds ?? null,
    replayPaused: row?.replay_paused ?? false,
    walReceiverRunning: row?.wal_receiver_running ?? false,
  };
}
