import { limitSentence, limitStatus, type ConnectionsFindings } from '../../../commands/connections.js';
import type { HealthFindings } from '../../../commands/health.js';
import type { LocksFindings, LockSession } from '../../../commands/locks.js';
import type { ReplicationFindings } from '../../../commands/replication.js';
import type { Thresholds } from '../../config/thresholds.js';
import { formatBytes, formatDuration, formatLargeCount, formatPercent, plural } from '../../report/format.js';
import { statusFor, worstStatus, type Report, type Status } from '../../report/model.js';

/** The diagnostic an alert comes from: when it fails, its alerts are neither raised nor resolved. */
export type AlertCheck = 'health' | 'locks' | 'connections' | 'replication' | 'target';

/** A condition seen right now on one target. `key` stays the same while it is the same problem. */
export interface Observation {
  key: string;
  check: AlertCheck;
  severity: Exclude<Status, 'ok'>;
  title: string;
  /** One sentence: what, how bad, for how long. */
  summary: string;
  /** The report the alert shows, with only the actions about this problem (Terminate on the root blocker…). */
  report: Report | null;
}

export interface RuleContext {
  thresholds: Thresholds;
  /** Raise at warn (default) or only at crit. */
  fireAt: 'warn' | 'crit';
}

const raised = (status: Status, ctx: RuleContext): status is 'warn' | 'crit' =>
  status === 'crit' || (status === 'warn' && ctx.fireAt === 'warn');

/**
 * Connections near max_connections, XID age, replication lag: from the health check. Health's connections check
 * also judges databases' and roles' own limits; those are raised once each by connectionLimitRules, not here.
 */
export function healthRules(h: HealthFindings, ctx: RuleContext): Observation[] {
  const t = ctx.thresholds;
  const out: Observation[] = [];
  const connections = statusFor(h.connections.usedPct, t.connectionsUsedPct);
  if (raised(connections, ctx))
    out.push({
      key: 'health:connections',
      check: 'health',
      severity: connections,
      title: 'Connections near max_connections',
      summary: `${h.connections.used} of ${h.connections.maxConnections} connections in use (${formatPercent(h.connections.usedPct)} of the usable slots).`,
      report: null,
    });
  const xid = statusFor(h.xidAge.xidAge, t.xidAge);
  if (raised(xid, ctx))
    out.push({
      key: 'health:xid-age',
      check: 'health',
      severity: xid,
      title: 'Transaction ID age',
      summary: `Database ${h.xidAge.database} is ${formatLargeCount(h.xidAge.xidAge)} XIDs old (${formatPercent(h.xidAge.pctToStopLimit)} of the way to the stop limit). Run \`wraparound\`.`,
      report: null,
    });
  const lag = replicationLag(h, t);
  if (lag && raised(lag.status, ctx))
    out.push({
      key: 'health:replication-lag',
      check: 'health',
      severity: lag.status,
      title: 'Replication lag',
      summary: lag.text,
      report: null,
    });
  return out;
}

function replicationLag(h: HealthFindings, t: Thresholds): { status: Status; text: string } | null {
  const r = h.replication;
  const [seconds, bytes, who] =
    r.role === 'primary'
      ? [r.worstReplayLagSeconds, r.worstReplayLagBytes, 'The slowest standby']
      : [r.replayDelaySeconds, r.replayGapBytes, 'This standby'];
  if (r.role === 'primary' && !r.standbys) return null;
  const status = worstStatus(
    statusFor(seconds ?? 0, t.replicationLagSeconds),
    statusFor(bytes ?? 0, t.replicationLagBytes),
  );
  return { status, text: `${who} is ${formatDuration(seconds ?? 0)} / ${formatBytes(bytes ?? 0)} behind in replay.` };
}

/**
 * A root blocker holding up at least rootBlockerSessions.warn sessions for at least lockWaitSeconds.warn, or at
 * once when the pile-up itself is bad (the locks report's status: sessions waiting, share of active ones stuck).
 */
export function lockRules(findings: LocksFindings, report: Report, ctx: RuleContext): Observation[] {
  const t = ctx.thresholds;
  return findings.sessions
    .filter((s) => s.isRoot && s.blockedCount >= t.rootBlockerSessions.warn)
    .flatMap((root) => {
      const waited = oldestDirectWait(root, findings.sessions);
      if (waited < t.lockWaitSeconds.warn && report.status === 'ok') return [];
      const severity = worstStatus(
        statusFor(root.blockedCount, t.rootBlockerSessions),
        statusFor(waited, t.lockWaitSeconds),
        report.status,
      );
      if (!raised(severity, ctx)) return [];
      const what =
        root.pid === 0
          ? 'A prepared transaction'
          : `Session ${root.pid} (${root.user ?? '?'}, ${root.state ?? 'unknown state'})`;
      const observation: Observation = {
        key: `locks:root:${root.pid}:${root.backendStart}`,
        check: 'locks',
        severity,
        title: 'Blocking chain',
        summary: `${what} blocks ${plural(root.blockedCount, 'session')}; waiting for ${formatDuration(waited)}.`,
        report: { ...report, actions: report.actions.filter((a) => a.params.pid === String(root.pid)) },
      };
      return [observation];
    });
}

function oldestDirectWait(root: LockSession, sessions: readonly LockSession[]): number {
  return Math.max(0, ...sessions.filter((s) => s.blockingPids.includes(root.pid)).map((s) => s.waitSeconds ?? 0));
}

/** Sessions idle in transaction past idleInTransactionSeconds: one alert per target, the report lists them. */
export function connectionRules(findings: ConnectionsFindings, report: Report, ctx: RuleContext): Observation[] {
  const oldest = findings.oldestIdleInTransactionSeconds ?? 0;
  const severity = statusFor(oldest, ctx.thresholds.idleInTransactionSeconds);
  if (!raised(severity, ctx)) return [];
  const over = findings.idleInTransaction.filter(
    (s) => (s.stateSeconds ?? 0) >= ctx.thresholds.idleInTransactionSeconds.warn,
  );
  return [
    {
      key: 'connections:idle-in-transaction',
      check: 'connections',
      severity,
      title: 'Idle in transaction',
      summary: `${plural(Math.max(over.length, 1), 'session')} idle in transaction; the oldest for ${formatDuration(oldest)}.`,
      report: {
        ...report,
        actions: report.actions.filter(
          (a) => a.action === 'terminate' && over.some((s) => a.params.pid === String(s.pid)),
        ),
      },
    },
  ];
}

/**
 * A database or role whose own CONNECTION LIMIT is (nearly) full: one alert per limit, keyed by its oid, so one
 * database that alone refuses sessions is raised even when the server as a whole has room. Server-wide, like the
 * look: the grouped watch sees every database of the server through its lead.
 */
export function connectionLimitRules(findings: ConnectionsFindings, report: Report, ctx: RuleContext): Observation[] {
  return findings.limits.flatMap((limit) => {
    const severity = limitStatus(limit, ctx.thresholds);
    if (!raised(severity, ctx)) return [];
    const observation: Observation = {
      key: `connections:limit:${limit.kind}:${limit.oid}`,
      check: 'connections',
      severity,
      title: limit.inUse >= limit.limit ? 'Connection limit reached' : 'Connection limit nearly full',
      summary: `${limitSentence(limit)}.`,
      report: { ...report, actions: [] },
    };
    return [observation];
  });
}

/** An inactive replication slot holding back at least slotRetainedWalBytes.warn of WAL: one alert per slot. */
export function replicationRules(findings: ReplicationFindings, report: Report, ctx: RuleContext): Observation[] {
  return findings.slots
    .filter((s) => !s.active && !s.temporary)
    .flatMap((slot) => {
      const severity = statusFor(slot.retainedBytes ?? 0, ctx.thresholds.slotRetainedWalBytes);
      if (!raised(severity, ctx)) return [];
      const since = slot.inactiveSeconds !== null ? `, inactive for ${formatDuration(slot.inactiveSeconds)}` : '';
      return [
        {
          key: `replication:slot:${slot.name}`,
          check: 'replication' as const,
          severity,
          title: 'Inactive replication slot',
          summary: `Slot "${slot.name}" retains ${formatBytes(slot.retainedBytes)} of WAL${since}; drop it if its consumer is gone.`,
          report,
        },
      ];
    });
}

export const UNREACHABLE_KEY = 'target:unreachable';

export function unreachableObservation(reason: string): Observation {
  return {
    key: UNREACHABLE_KEY,
    check: 'target',
    severity: 'crit',
    title: 'Target not answering',
    summary: `pgmedic cannot reach the database: ${reason}.`,
    report: null,
  };
}
