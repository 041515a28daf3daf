import type { LocalReplay, ReplicationSlot, StandbyLag } from '../replication.js';

/** A row as node-postgres returns it; int8/numeric already arrive as numbers. */
export type Row = Record<string, unknown>;

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const str = (value: unknown) => (value === null || value === undefined ? null : String(value));

export function toStandby(row: Row): StandbyLag {
  const replayLagBytes = num(row.replay_lag_bytes);
  // PostgreSQL clears the *_lag intervals once a standby has caught up and nothing new is sent.
  const lagSeconds = (seconds: unknown, bytes: unknown) => num(seconds) ?? (num(bytes) === 0 ? 0 : null);
  return {
    pid: Number(row.pid),
    application: String(row.application_name ?? ''),
    client: str(row.client_addr),
    state: String(row.state ?? 'unknown'),
    syncState: String(row.sync_state ?? 'unknown'),
    backendStart: String(row.backend_start ?? ''),
    replayLsn: str(row.replay_lsn),
    sendLagBytes: num(row.send_lag_bytes),
    writeLagBytes: num(row.write_lag_bytes),
    flushLagBytes: num(row.flush_lag_bytes),
    replayLagBytes,
    writeLagSeconds: lagSeconds(row.write_lag_seconds, row.write_lag_bytes),
    flushLagSeconds: lagSeconds(row.flush_lag_seconds, row.flush_lag_bytes),
    replayLagSeconds: lagSeconds(row.replay_lag_seconds, row.replay_lag_bytes),
    replyAgeSeconds: num(row.reply_age_seconds),
    slot: str(row.slot_name),
  };
}

export function toLocal(row: Row): LocalReplay {
  const pauseState = String(row.pause_state ?? 'not paused');
  return {
    application: String(row.application),
    state: str(row.receiver_status) ?? 'not receiving',
    replayPaused: pauseState !== 'not paused',
    pauseState,
    receiveLsn: str(row.receive_lsn),
    replayLsn: str(row.replay_lsn),
    replayLagBytes: num(row.replay_lag_bytes) ?? 0,
    replayLagSeconds: num(row.replay_lag_seconds),
    lastReplayedAt: str(row.last_replayed_at),
    sinceLastReplaySeconds: num(row.since_last_replay_seconds),
    senderHost: str(row.sender_host),
    senderPort: num(row.sender_port),
    slot: str(row.slot_name),
    lastMessageSeconds: num(row.last_message_seconds),
  };
}

export function toSlot(row: Row): ReplicationSlot {
  return {
    name: String(row.slot_name),
    type: String(row.slot_type),
    plugin: str(row.plugin),
    database: str(row.database),
    temporary: Boolean(row.temporary),
    active: Boolean(row.active),
    activePid: num(row.active_pid),
    walStatus: str(row.wal_status),
    safeWalSizeBytes: num(row.safe_wal_size),
    retainedBytes: num(row.retained_bytes),
    xminAge: num(row.xmin_age),
    catalogXminAge: num(row.catalog_xmin_age),
    inactiveSince: str(row.inactive_since),
    inactiveSeconds: num(row.inactive_seconds),
    invalidationReason: str(row.invalidation_reason),
  };
}
