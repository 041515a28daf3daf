import { z } from 'zod';
import type { Thresholds } from '../src/config/thresholds.js';
import { defineCommand } from '../src/engine/command.js';
import { formatBytes, formatDuration, formatLargeCount, plural } from '../src/report/format.js';
import { statusFor, worstStatus, type Report, type Section, type Status } from '../src/report/model.js';
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

  report(findings, { thresholds }): Report {
    const local = findings.local;
    const statuses = [
      ...(local ? [localStatus(local, thresholds)] : []),
      ...findings.standbys.map((s) => standbyStatus(s, thresholds)),
      ...findings.slots.map((s) => slotStatus(s, thresholds)),
    ];
    const status = worstStatus(...statuses);
    const summary = [local ? localSummary(local) : '', standbysSummary(findings), slotsSummary(findings.slots)]
      .filter(Boolean)
      .join(' ');
    return {
      title: `Replication (${findings.role})`,
      status,
      summary,
      // the summary names each standby, slot and the local replay state with its lag: the cause in one line
      reasons: status === 'ok' ? [] : [summary],
      sections: [
        ...(local ? [localFacts(local)] : []),
        ...standbySections(findings.standbys),
        ...slotSections(findings.slots),
      ],
      actions: [],
      footnotes: footnotes(findings),
    };
  },
});

function lagStatus(bytes: number | null, seconds: number | null, thresholds: Thresholds): Status {
  return worstStatus(
    statusFor(bytes ?? 0, thresholds.replicationLagBytes),
    statusFor(seconds ?? 0, thresholds.replicationLagSeconds),
  );
}

function localStatus(local: LocalReplay, thresholds: Thresholds): Status {
  const receiving: Status = local.state === 'streaming' ? 'ok' : 'warn';
  return worstStatus(
    receiving,
    local.replayPaused ? 'warn' : 'ok',
    lagStatus(local.replayLagBytes, local.replayLagSeconds, thresholds),
  );
}

function standbyStatus(standby: StandbyLag, thresholds: Thresholds): Status {
  const streaming: Status = standby.state === 'streaming' || standby.state === 'backup' ? 'ok' : 'warn';
  return worstStatus(streaming, lagStatus(standby.replayLagBytes, standby.replayLagSeconds, thresholds));
}

function slotStatus(slot: ReplicationSlot, thresholds: Thresholds): Status {
  const wal: Status =
    slot.walStatus === 'lost' || slot.walStatus === 'unreserved' || slot.invalidationReason
      ? 'crit'
      : slot.walStatus === 'extended'
        ? 'warn'
        : 'ok';
  const idle: Status = !slot.active && !slot.temporary ? 'warn' : 'ok';
  return worstStatus(wal, idle, statusFor(slot.retainedBytes ?? 0, thresholds.slotRetainedWalBytes));
}

function localSummary(local: LocalReplay): string {
  const behind = `${formatBytes(local.replayLagBytes)} received but not replayed${local.replayLagSeconds ? `, ${formatDuration(local.replayLagSeconds)} behind` : ''}`;
  if (local.replayPaused) return `Replay is ${local.pauseState}: ${behind}.`;
  const source =
    local.state === 'streaming'
      ? `streaming from ${local.senderHost ?? '?'}:${local.senderPort ?? '?'}`
      : `WAL receiver ${local.state}`;
  return local.replayLagBytes > 0 || local.replayLagSeconds
    ? `Standby ${source}; ${behind}.`
    : `Standby ${source}; caught up with what it received.`;
}

function standbysSummary(findings: ReplicationFindings): string {
  if (!findings.standbys.length) return findings.role === 'primary' ? 'No standby is connected.' : '';
  const worst = [...findings.standbys].sort((a, b) => (b.replayLagBytes ?? 0) - (a.replayLagBytes ?? 0))[0]!;
  const streaming = findings.standbys.filter((s) => s.state === 'streaming').length;
  return `${plural(findings.standbys.length, 'standby', 'standbys')} connected (${streaming} streaming); the furthest behind, ${worst.application || worst.pid}, replays ${formatBytes(worst.replayLagBytes)} behind${worst.replayLagSeconds !== null ? ` (${formatDuration(worst.replayLagSeconds)})` : ''}.`;
}

function slotsSummary(slots: ReplicationSlot[]): string {
  const inactive = slots.filter((s) => !s.active && !s.temporary);
  const broken = slots.filter((s) => s.walStatus === 'lost' || s.walStatus === 'unreserved' || s.invalidationReason);
  const parts = [
    inactive.length
      ? `${plural(inactive.length, 'inactive slot')} holding ${formatBytes(inactive.reduce((t, s) => t + (s.retainedBytes ?? 0), 0))} of WAL`
      : '',
    broken.length ? `${plural(broken.length, 'slot')} lost or about to lose WAL` : '',
  ];
  return parts.filter(Boolean).length ? `${parts.filter(Boolean).join('; ')}.` : '';
}

function localFacts(local: LocalReplay): Section {
  return {
    kind: 'facts',
    title: 'This standby',
    facts: [
      {
        label: 'WAL receiver',
        value: `${local.state}${local.senderHost ? ` from ${local.senderHost}:${local.senderPort ?? ''}` : ''}${local.slot ? ` (slot ${local.slot})` : ''}`,
        status: local.state === 'streaming' ? 'ok' : 'warn',
      },
      {
        label: 'Replay',
        value: local.replayPaused ? local.pauseState : 'running',
        status: local.replayPaused ? 'warn' : 'ok',
      },
      { label: 'Received / replayed', value: `${local.receiveLsn ?? '–'} / ${local.replayLsn ?? '–'}` },
      { label: 'Replay lag', value: `${formatBytes(local.replayLagBytes)}, ${formatDuration(local.replayLagSeconds)}` },
      {
        label: 'Last replayed transaction',
        value: local.lastReplayedAt
          ? `${local.lastReplayedAt} (${formatDuration(local.sinceLastReplaySeconds)} ago)`
          : 'none since start',
      },
      ...(local.lastMessageSeconds !== null
        ? [{ label: 'Last message from the primary', value: `${formatDuration(local.lastMessageSeconds)} ago` }]
        : []),
    ],
  };
}

function standbySections(standbys: StandbyLag[]): Section[] {
  if (!standbys.length) return [];
  const right = 'right' as const;
  const lag = (bytes: number | null, seconds: number | null) => `${formatBytes(bytes)} / ${formatDuration(seconds)}`;
  return [
    {
      kind: 'table',
      title: 'Standbys (lag in bytes from this server, and in time as PostgreSQL measures it)',
      columns: [
        { header: 'application' },
        { header: 'client' },
        { header: 'state' },
        { header: 'sync' },
        { header: 'write lag', align: right },
        { header: 'flush lag', align: right },
        { header: 'replay lag', align: right },
        { header: 'slot' },
      ],
      rows: standbys.map((s) => [
        s.application,
        s.client ?? 'local',
        s.state,
        s.syncState,
        lag(s.writeLagBytes, s.writeLagSeconds),
        lag(s.flushLagBytes, s.flushLagSeconds),
        lag(s.replayLagBytes, s.replayLagSeconds),
        s.slot ?? '',
      ]),
    },
  ];
}

function slotSections(slots: ReplicationSlot[]): Section[] {
  if (!slots.length) return [];
  const right = 'right' as const;
  return [
    {
      kind: 'table',
      title: 'Replication slots',
      columns: [
        { header: 'slot' },
        { header: 'type' },
        { header: 'active' },
        { header: 'WAL retained', align: right },
        { header: 'wal_status' },
        { header: 'safe size', align: right },
        { header: 'xmin age', align: right },
        { header: 'inactive for', align: right },
      ],
      rows: slots.map((s) => [
        s.name,
        s.type === 'logical' ? `logical (${s.plugin ?? '?'}, ${s.database ?? '?'})` : s.type,
        s.active ? 'yes' : 'no',
        formatBytes(s.retainedBytes),
        s.invalidationReason ? `invalidated: ${s.invalidationReason}` : (s.walStatus ?? '–'),
        formatBytes(s.safeWalSizeBytes),
        formatLargeCount(s.xminAge ?? s.catalogXminAge),
        s.inactiveSeconds === null ? '' : formatDuration(s.inactiveSeconds),
      ]),
    },
  ];
}

function footnotes(findings: ReplicationFindings): string[] {
  const { local, slots } = findings;
  return [
    ...(local
      ? [
          'Replay lag in time is 0 whenever everything received has been replayed, however long ago the last transaction was: an idle primary is not lag.',
        ]
      : []),
    ...(local?.replayPaused
      ? ['Replay was paused with pg_wal_replay_pause(); SELECT pg_wal_replay_resume() on this standby resumes it.']
      : []),
    ...(slots.some((s) => !s.active && !s.temporary)
      ? [
          'An inactive slot keeps WAL (and, with an xmin, old rows) forever: if its consumer is gone, drop it with pg_drop_replication_slot(name).',
        ]
      : []),
    ...(slots.some((s) => s.walStatus === 'unreserved' || s.walStatus === 'lost')
      ? [
          'wal_status unreserved: the WAL this slot needs is about to be removed (max_slot_wal_keep_size); lost: it is gone and the consumer must be rebuilt.',
        ]
      : []),
  ];
}
