import type { Thresholds } from '../../src/config/thresholds.js';
import type { ReportContext } from '../../src/engine/command.js';
import { formatBytes, formatDuration, formatLargeCount, plural } from '../../src/report/format.js';
import { statusFor, worstStatus, type Report, type Section, type Status } from '../../src/report/model.js';
import type { LocalReplay, ReplicationFindings, ReplicationSlot, StandbyLag } from '../replication.js';

export function replicationReport(
  findings: ReplicationFindings,
  { thresholds }: Pick<ReportContext<unknown>, 'thresholds'>,
): Report {
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
}
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
  const streaming = findings.standbys.filter((s) => s.state === 'streaming').length;
  const connected = `${plural(findings.standbys.length, 'standby', 'standbys')} connected (${streaming} streaming)`;
  // A walsender that has not replied yet (startup, or a replication connection running SQL) has no position.
  const unknown = findings.standbys.filter((s) => s.replayLagBytes === null);
  const measured = findings.standbys.filter((s) => s.replayLagBytes !== null);
  const worst = [...measured].sort((a, b) => b.replayLagBytes! - a.replayLagBytes!)[0];
  const parts = [
    worst
      ? `the furthest behind, ${standbyName(worst)}, replays ${formatBytes(worst.replayLagBytes)} behind${worst.replayLagSeconds !== null ? ` (${formatDuration(worst.replayLagSeconds)})` : ''}`
      : '',
    unknown.length
      ? `${unknown.map((s) => `${standbyName(s)} (${s.state})`).join(', ')} ${unknown.length === 1 ? 'has' : 'have'} not reported a replay position yet`
      : '',
  ];
  return `${connected}; ${parts.filter(Boolean).join('; ')}.`;
}

const standbyName = (s: StandbyLag) => s.application || String(s.pid);

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
