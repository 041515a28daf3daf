import { formatDuration, plural } from '../report/format.js';
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
  /**
   * The watched target whose look stands for this one: itself, or the first database of its server watched with the
   * same role and settings (src/schedule/alerts/server-groups.ts); undefined when the watch does not look at it.
   */
  leadOf(name: string): string | undefined;
}

/** `/pg status`: which copy checks which target and when each was last checked. */
export function fleetStatusReport(status: FleetStatus, scope: FleetScope): Report {
  const liveSeconds = leaseMsFor(scope.intervalMs) / 1000;
  const overdueSeconds = (scope.intervalMs + leaseMsFor(scope.intervalMs)) / 1000;
  // Databases looked at through their server's lead count under the lead; rows of targets no longer looked at under
  // their own name (now a member of a group, or not watched) are left out.
  const covers = new Map<string, number>();
  for (const name of scope.visible) {
    const lead = scope.leadOf(name);
    if (lead) covers.set(lead, (covers.get(lead) ?? 0) + 1);
  }
  const leases = status.leases.filter((l) => scope.visible.has(l.target) && scope.leadOf(l.target) === l.target);
  const watched = leases.reduce((n, l) => n + (covers.get(l.target) ?? 1), 0);
  const looks = watched > leases.length ? ` (${plural(leases.length, 'look')} per interval, one per server)` : '';
  const live = status.copies.filter((c) => c.beatAgoSeconds <= liveSeconds);
  const late = leases.filter((l) => l.checkedAgoSeconds === null || l.checkedAgoSeconds > overdueSeconds);
  const held = (copyId: string) => leases.filter((l) => l.holder === copyId).length;
  const reportStatus: Status = leases.length && late.length ? 'warn' : 'ok';
  const summary = !leases.length
    ? 'No alert watch has looked at a target you may query yet (alerts off, or no copy has started its watch).'
    : `${live.length} ${live.length === 1 ? 'copy' : 'copies'} live, ${watched} watched targets${looks}; ${
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
          { header: 'databases', align: 'right' },
          { header: 'held by' },
          { header: 'last checked', align: 'right' },
          { header: 'lease', align: 'right' },
        ],
        rows: leases.map((l) => [
          l.target,
          String(covers.get(l.target) ?? 1),
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
      'The alert checks read server-wide views, so databases of one server watched with the same role and settings are looked at once, through the first of them ("databases" counts them).',
    ],
  };
}

function leaseText(l: LeaseAge): string {
  if (!l.holder || l.expiresInSeconds === null) return 'free';
  return l.expiresInSeconds < 0
    ? `expired ${formatDuration(-l.expiresInSeconds)} ago`
    : `${formatDuration(l.expiresInSeconds)} left`;
}
