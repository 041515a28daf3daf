import { formatDuration } from '../report/format.js';
import type { Report, Status } from '../report/model.js';
import { type CopyRow, type LeaseAge, listCopies, listLeaseAges } from '../state/leases.js';
import type { Queryable } from '../state/requests.js';
import { leaseMsFor } from './share.js';

/** Who watches what, as the state database says: the copies' heartbeats and each target's lease and last check. */
export interface FleetStatus {
  copies: CopyRow[];
  leases: LeaseAge[];
}

export async function readFleetStatus(db: Queryable): Promise<FleetStatus> {
  const [copies, leases] = await Promise.all([listCopies(db), listLeaseAges(db, 'alerts')]);
  return { copies, leases };
}

export interface FleetScope {
  /** The targets the reader may query; leases of others are left out (their names too). */
  visible: ReadonlySet<string>;
  /** The alert interval: a target not checked within one interval plus the lease is overdue. */
  intervalMs: number;
}

/** `/pg status`: which copy checks which target and when each was last checked. */
export function fleetStatusReport(status: FleetStatus, scope: FleetScope): Report {
  const liveSeconds = leaseMsFor(scope.intervalMs) / 1000;
  const overdueSeconds = (scope.intervalMs + leaseMsFor(scope.intervalMs)) / 1000;
  const leases = status.leases.filter((l) => scope.visible.has(l.target));
  const live = status.copies.filter((c) => c.beatAgoSeconds <= liveSeconds);
  const late = leases.filter((l) => l.checkedAgoSeconds === null || l.checkedAgoSeconds > overdueSeconds);
  const held = (copyId: string) => leases.filter((l) => l.holder === copyId).length;
  const reportStatus: Status = leases.length && late.length ? 'warn' : 'ok';
  const summary = !leases.length
    ? 'No alert watch has looked at a target you may query yet (alerts off, or no copy has started its watch).'
    : `${live.length} ${live.length === 1 ? 'copy' : 'copies'} live, ${leases.length} watched targets; ${
        late.length
          ? `${late.length} not checked within ${formatDuration(overdueSeconds)} (one interval plus the lease): ${late
              .slice(0, 5)
              .map((l) => l.target)
              .join(', ')}${late.length > 5 ? ', …' : ''}`
          : `each checked within ${formatDuration(overdueSeconds)}`
      }.`;
  return {
    title: 'Alert watch: who checks what',
    status: reportStatus,
    summary,
    ...(late.length ? { reasons: [`${late.length} targets overdue`] } : {}),
    sections: [
      {
        kind: 'table',
        title: 'Copies',
        columns: [
          { header: 'copy' },
          { header: 'last heartbeat', align: 'right' },
          { header: 'targets', align: 'right' },
        ],
        rows: status.copies.map((c) => [
          c.copyId,
          `${formatDuration(c.beatAgoSeconds)} ago${c.beatAgoSeconds > liveSeconds ? ' (gone)' : ''}`,
          String(held(c.copyId)),
        ]),
        rowStatus: status.copies.map((c) => (c.beatAgoSeconds > liveSeconds ? 'warn' : 'ok')),
        empty: 'No copy has beaten yet.',
      },
      {
        kind: 'table',
        title: 'Targets',
        columns: [
          { header: 'target' },
          { header: 'held by' },
          { header: 'last checked', align: 'right' },
          { header: 'lease', align: 'right' },
        ],
        rows: leases.map((l) => [
          l.target,
          l.holder ?? '(free)',
          l.checkedAgoSeconds === null ? 'never' : `${formatDuration(l.checkedAgoSeconds)} ago`,
          leaseText(l),
        ]),
        rowStatus: leases.map((l) => (late.includes(l) ? 'warn' : 'ok')),
        empty: 'No watched target you may query.',
      },
    ],
    actions: [],
    footnotes: [
      `A copy is live while it beats within the lease (${formatDuration(liveSeconds)}); each target is checked by one copy per interval (${formatDuration(scope.intervalMs / 1000)}).`,
    ],
  };
}

function leaseText(l: LeaseAge): string {
  if (!l.holder || l.expiresInSeconds === null) return 'free';
  return l.expiresInSeconds < 0
    ? `expired ${formatDuration(-l.expiresInSeconds)} ago`
    : `${formatDuration(l.expiresInSeconds)} left`;
}
