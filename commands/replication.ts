import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { replicationReport } from './replication/report.js';
import { toLocal, toSlot, toStandby, type Row } from './replication/rows.js';
import { LOCAL_SQL, SLOTS_SQL, STANDBYS_SQL } from './replication/sql.js';

/** A standby (or logical subscriber) as its walsender on this server sees it. Lags are measured from this server's position. */
export interface StandbyLag {
  pid: number;
  application: string;
  client: string | null;
  /** walsender state: startup, catchup, streaming, backup, stopping. */
  state: string;
  syncState: string;
  backendStart: string;
  replayLsn: string | null;
  sendLagBytes: number | null;
  writeLagBytes: number | null;
  flushLagBytes: number | null;
  replayLagBytes: number | null;
  /** PostgreSQL's own measurement (write_lag …); 0 when caught up, null when not measured yet. */
  writeLagSeconds: number | null;
  flushLagSeconds: number | null;
  replayLagSeconds: number | null;
  replyAgeSeconds: number | null;
  slot: string | null;
}

/** This server's own progress when it is a standby. */
export interface LocalReplay {
  /** The application_name this standby connects to its primary with. */
  application: string;
  /** WAL receiver status (streaming, waiting, …), or `not receiving` when no WAL receiver runs. */
  state: string;
  replayPaused: boolean;
  /** pg_get_wal_replay_pause_state(): not paused, pause requested, paused. */
  pauseState: string;
  receiveLsn: string | null;
  replayLsn: string | null;
  /** Received but not yet replayed. */
  replayLagBytes: number;
  /** 0 when everything received is replayed (an idle primary is no lag); else the age of the last replayed transaction. */
  replayLagSeconds: number | null;
  lastReplayedAt: string | null;
  sinceLastReplaySeconds: number | null;
  senderHost: string | null;
  senderPort: number | null;
  slot: string | null;
  lastMessageSeconds: number | null;
}

export interface ReplicationSlot {
  name: string;
  type: string;
  plugin: string | null;
  database: string | null;
  temporary: boolean;
  active: boolean;
  activePid: number | null;
  /** reserved, extended, unreserved, lost (null for a slot that never reserved WAL). */
  walStatus: string | null;
  safeWalSizeBytes: number | null;
  /** WAL kept for this slot: from its restart_lsn to the current (primary) or replayed (standby) position. */
  retainedBytes: number | null;
  xminAge: number | null;
  catalogXminAge: number | null;
  /** 17+ */
  inactiveSince: string | null;
  inactiveSeconds: number | null;
  invalidationReason: string | null;
}

export interface ReplicationFindings {
  role: 'primary' | 'standby';
  standbys: StandbyLag[];
  local: LocalReplay | null;
  slots: ReplicationSlot[];
}

export default defineCommand({
  name: 'replication',
  summary: 'Standbys and their lag, replay on a standby (paused or behind), replication slots and the WAL they hold',
  kind: 'diagnostic',
  options: z.object({}),
  sql: { standbys: STANDBYS_SQL, local: LOCAL_SQL, slots: SLOTS_SQL },

  async collect({ session, caps }): Promise<ReplicationFindings> {
    const standbys = (await session.query<Row>(STANDBYS_SQL)).map(toStandby);
    const [local] = caps.inRecovery ? await session.query<Row>(LOCAL_SQL) : [];
    const slots = (await session.query<Row>(SLOTS_SQL)).map(toSlot);
    return { role: caps.inRecovery ? 'standby' : 'primary', standbys, local: local ? toLocal(local) : null, slots };
  },

  report: replicationReport,
});
