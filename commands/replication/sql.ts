import { secondsSince } from '../../src/db/sql.js';
/*
 * Positions are compared in SQL with pg_wal_lsn_diff, and ages come from secondsSince (one clock, clamped at zero).
 * pg_current_wal_lsn() fails during recovery, so on a standby (which may itself feed cascaded standbys)
 * positions are measured against what it has received or replayed instead.
 */

const UPSTREAM_POSITION = `CASE WHEN pg_catalog.pg_is_in_recovery()
  THEN coalesce(pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn())
  ELSE pg_catalog.pg_current_wal_lsn() END`;

/** Each connected standby (or logical subscriber) as its walsender sees it. */
export const STANDBYS_SQL = `
WITH position AS (SELECT ${UPSTREAM_POSITION} AS lsn)
SELECT r.pid, r.application_name, host(r.client_addr) AS client_addr, r.state, r.sync_state, r.sync_priority,
       r.backend_start::text AS backend_start,
       r.sent_lsn::text AS sent_lsn, r.write_lsn::text AS write_lsn, r.flush_lsn::text AS flush_lsn, r.replay_lsn::text AS replay_lsn,
       pg_catalog.pg_wal_lsn_diff(p.lsn, r.sent_lsn)::float8 AS send_lag_bytes,
       pg_catalog.pg_wal_lsn_diff(p.lsn, r.write_lsn)::float8 AS write_lag_bytes,
       pg_catalog.pg_wal_lsn_diff(p.lsn, r.flush_lsn)::float8 AS flush_lag_bytes,
       pg_catalog.pg_wal_lsn_diff(p.lsn, r.replay_lsn)::float8 AS replay_lag_bytes,
       extract(epoch FROM r.write_lag)::float8 AS write_lag_seconds,
       extract(epoch FROM r.flush_lag)::float8 AS flush_lag_seconds,
       extract(epoch FROM r.replay_lag)::float8 AS replay_lag_seconds,
       ${secondsSince('r.reply_time')} AS reply_age_seconds,
       sl.slot_name
FROM pg_catalog.pg_stat_replication r
CROSS JOIN position p
LEFT JOIN pg_catalog.pg_replication_slots sl ON sl.active_pid = r.pid
ORDER BY r.application_name, r.pid`;

/**
 * This standby's own progress. Replay delay: when everything received has been replayed the standby is
 * caught up (delay 0), however old the last replayed transaction is: an idle primary sends nothing new.
 */
export const LOCAL_SQL = `
WITH pos AS (
  SELECT pg_catalog.pg_last_wal_receive_lsn() AS received, pg_catalog.pg_last_wal_replay_lsn() AS replayed,
         pg_catalog.pg_last_xact_replay_timestamp() AS replayed_at
)
SELECT pos.received::text AS receive_lsn, pos.replayed::text AS replay_lsn,
       greatest(pg_catalog.pg_wal_lsn_diff(pos.received, pos.replayed), 0)::float8 AS replay_lag_bytes,
       CASE WHEN pos.received IS NOT NULL AND pos.received <= pos.replayed THEN 0
            ELSE ${secondsSince('pos.replayed_at')} END AS replay_lag_seconds,
       pos.replayed_at::text AS last_replayed_at,
       ${secondsSince('pos.replayed_at')} AS since_last_replay_seconds,
       pg_catalog.pg_get_wal_replay_pause_state() AS pause_state,
       w.status AS receiver_status, w.sender_host, w.sender_port, w.slot_name,
       ${secondsSince('w.last_msg_receipt_time')} AS last_message_seconds,
       coalesce(substring(w.conninfo FROM 'application_name=([^ ]+)'), nullif(current_setting('cluster_name'), ''), 'walreceiver') AS application
FROM pos
LEFT JOIN pg_catalog.pg_stat_wal_receiver w ON true`;

const RETAINED_FROM = `CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END`;

const slotsSql = (since17: boolean) => `
SELECT s.slot_name, s.slot_type, s.plugin, s.database, s.temporary, s.active, s.active_pid,
       s.wal_status, s.safe_wal_size::float8 AS safe_wal_size,
       pg_catalog.pg_wal_lsn_diff(${RETAINED_FROM}, s.restart_lsn)::float8 AS retained_bytes,
       age(s.xmin) AS xmin_age, age(s.catalog_xmin) AS catalog_xmin_age,
       ${since17 ? 's.inactive_since::text' : 'NULL::text'} AS inactive_since,
       ${since17 ? secondsSince('s.inactive_since') : 'NULL::float8'} AS inactive_seconds,
       ${since17 ? 's.invalidation_reason' : 'NULL::text'} AS invalidation_reason
FROM pg_catalog.pg_replication_slots s
ORDER BY retained_bytes DESC NULLS LAST, s.slot_name`;

/** inactive_since and invalidation_reason arrived in PostgreSQL 17. */
export const SLOTS_SQL = { 140000: slotsSql(false), 170000: slotsSql(true) };
