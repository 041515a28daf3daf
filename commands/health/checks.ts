import type { Thresholds } from '../../src/config/thresholds.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  formatPercent,
  plural,
} from '../../src/report/format.js';
import { cumulativeStatus, statusFor, worstStatus, type Status } from '../../src/report/model.js';
import { limitSentence, limitStatus } from '../shared/connection-limits.js';
import { describeRoot, lockCheckStatus, type HealthLocks } from './locks.js';
import type {
  ConnectionUse,
  HealthCheck,
  HealthCheckName,
  HealthFindings,
  OldestTransaction,
  PrimaryReplication,
  StandbyReplication,
} from '../health.js';

/** Below this many block accesses a cache hit ratio says nothing (a fresh or idle server). */
export const MIN_CACHE_BLOCKS = 10_000;

type Measured = Omit<HealthFindings, 'checks'>;

/** Pure: every check with its status, a one-line detail and the command that explains it. */
export function assessHealth(m: Measured, t: Thresholds): HealthCheck[] {
  const check = (name: HealthCheckName, status: Status, detail: string, next: string): HealthCheck => ({
    name,
    status,
    detail,
    next: status === 'ok' ? null : next,
  });
  const oldest = m.oldestTransaction;
  const cacheJudged = m.cacheHitPct !== null && m.cacheBlocks >= MIN_CACHE_BLOCKS;
  return [
    connectionsCheck(m.connections, t, check),
    (({ status, detail, next }) => check('locks', status, detail, next))(lockCheckStatus(m.locks, t)),
    oldestTransactionCheck(oldest, m.locks, t, check),
    check(
      'xidAge',
      statusFor(m.xidAge.xidAge, t.xidAge),
      `${formatLargeCount(m.xidAge.xidAge)} in ${m.xidAge.database} (${formatPercent(m.xidAge.pctOfFreezeMaxAge)} of autovacuum_freeze_max_age, ${formatPercent(m.xidAge.pctToStopLimit)} of the way to the stop limit)`,
      'wraparound',
    ),
    // Cumulative since the reset (a bulk load right after start drags it down for days): warns at most.
    check(
      'cacheHit',
      cacheJudged
        ? cumulativeStatus(statusFor(-m.cacheHitPct!, { warn: -t.cacheHitPct.warn, crit: -t.cacheHitPct.crit }))
        : 'ok',
      m.cacheHitPct === null
        ? 'no block reads yet'
        : `${formatPercent(m.cacheHitPct, 2)} of ${formatLargeCount(m.cacheBlocks)} block reads ${m.statsResetSeconds === null ? `since the server started ${formatDuration(m.uptimeSeconds)} ago` : `since statistics reset ${formatDuration(m.statsResetSeconds)} ago`}`,
      'performance',
    ),
    m.replication.role === 'primary' ? primaryCheck(m.replication, t, check) : standbyCheck(m.replication, t, check),
  ];
}

type MakeCheck = (name: HealthCheckName, status: Status, detail: string, next: string) => HealthCheck;

/**
 * The worse of max_connections use and the fullest database's or role's own limit: a full limit refuses that
 * database's (role's) new sessions while the server has room. The worse of the two is named first.
 */
function connectionsCheck(c: ConnectionUse, t: Thresholds, check: MakeCheck): HealthCheck {
  const serverStatus = statusFor(c.usedPct, t.connectionsUsedPct);
  const usable = formatCount(c.maxConnections - c.superuserReserved - c.reserved);
  const [fullest, ...others] = c.limitsAtWarn;
  if (!fullest)
    return check(
      'connections',
      serverStatus,
      `${formatCount(c.used)} of ${usable} usable (${formatPercent(c.usedPct)}; ${formatCount(c.superuserReserved + c.reserved)} reserved)`,
      'connections',
    );
  const status = limitStatus(fullest, t);
  const more = others.length
    ? [`${plural(others.length, 'more database or role', 'more databases or roles')} near full`]
    : [];
  const server = `${formatCount(c.used)} of ${usable} usable server-wide`;
  const detail =
    worstStatus(serverStatus, status) === status
      ? `${limitSentence(fullest)} (${[...more, `${server}, ${formatPercent(c.usedPct)}`].join('; ')})`
      : `${server} (${formatPercent(c.usedPct)}); ${limitSentence(fullest)}${more.length ? ` (${more[0]})` : ''}`;
  return check('connections', worstStatus(serverStatus, status), detail, 'connections');
}

/** During a stall the oldest transaction is often a victim that began a moment before the blocker: name the root. */
function oldestTransactionCheck(
  oldest: OldestTransaction | null,
  locks: HealthLocks,
  t: Thresholds,
  check: MakeCheck,
): HealthCheck {
  const root = locks.roots[0];
  const rootNote = root && root.pid !== oldest?.pid ? `; root blocker ${describeRoot(root)}` : '';
  if (!oldest) return check('oldestTransaction', 'ok', 'no open transaction', 'connections');
  const who =
    oldest.pid === null
      ? `prepared transaction ${oldest.preparedGid}`
      : `pid ${oldest.pid}, ${oldest.state ?? 'unknown state'}${root?.pid === oldest.pid ? ', the root blocker' : ''}`;
  return check(
    'oldestTransaction',
    statusFor(oldest.seconds, t.oldestTransactionSeconds),
    `${formatDuration(oldest.seconds)} (${who})${rootNote}`,
    root ? 'locks' : oldest.pid === null ? 'vacuum' : 'connections',
  );
}

function primaryCheck(r: PrimaryReplication, t: Thresholds, check: MakeCheck): HealthCheck {
  const lagStatus = worstStatus(
    statusFor(r.worstReplayLagSeconds ?? 0, t.replicationLagSeconds),
    statusFor(r.worstReplayLagBytes ?? 0, t.replicationLagBytes),
  );
  const status = worstStatus(lagStatus, r.inactiveSlots ? 'warn' : 'ok');
  const lag = r.standbys
    ? `, worst replay lag ${formatDuration(r.worstReplayLagSeconds ?? 0)} / ${formatBytes(r.worstReplayLagBytes ?? 0)}`
    : '';
  const slots = r.inactiveSlots ? `; ${plural(r.inactiveSlots, 'inactive slot')} retaining WAL` : '';
  return check(
    'replication',
    status,
    `${plural(r.standbys, 'standby', 'standbys')} connected${lag}${slots}`,
    'replication',
  );
}

function standbyCheck(r: StandbyReplication, t: Thresholds, check: MakeCheck): HealthCheck {
  const lagStatus = worstStatus(
    statusFor(r.replayDelaySeconds ?? 0, t.replicationLagSeconds),
    statusFor(r.replayGapBytes ?? 0, t.replicationLagBytes),
  );
  const status = worstStatus(lagStatus, r.replayPaused || !r.walReceiverRunning ? 'warn' : 'ok');
  const parts = [
    `replay delay ${formatDuration(r.replayDelaySeconds)}`,
    `${formatBytes(r.replayGapBytes)} received but not replayed`,
    ...(r.replayPaused ? ['replay is paused'] : []),
    ...(r.walReceiverRunning ? [] : ['not streaming from a primary']),
  ];
  return check('replication', status, parts.join(', '), 'replication');
}
