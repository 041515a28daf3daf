import { formatBytes, formatCount, formatPercent, qualifiedName } from '../../report/format.js';
import type { DatedRow, SnapshotRow } from '../../state/relation-snapshots.js';
import { snapshotKey, TOTAL_RELATION } from './extract.js';

export type { DatedRow };

export interface Change {
  from: number;
  to: number;
}

/** What changed for one relation since yesterday ('day') or over the last week ('week'). */
export interface TrendEvent {
  kind: SnapshotRow['kind'];
  schema: string;
  relation: string;
  span: 'day' | 'week';
  /** Days between the snapshots compared (7, or fewer when the history is younger). */
  days: number;
  bloatPercent?: Change;
  bloatBytes?: Change;
  totalBytes?: Change;
  deadTuples?: Change;
  /** "bloat_orders: bloat 12% → 45% in 7 days, +2.1 GB" */
  text: string;
}

/** Below these a change is noise, not an event. */
const NOTABLE = {
  bloatPercentPoints: 5,
  bytes: 1024 * 1024,
  bytesShare: 0.1,
  deadTuples: 1000,
  deadTuplesShare: 0.5,
};
const MAX_EVENTS = 10;

export function dayOffset(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** Pure: today's rows against stored history (days before `today`), notable changes only, biggest first. */
export function compareTrends(
  current: readonly SnapshotRow[],
  history: readonly DatedRow[],
  today: string,
): TrendEvent[] {
  const yesterday = dayOffset(today, -1);
  const weekAgo = dayOffset(today, -7);
  const byKey = new Map<string, DatedRow[]>();
  for (const row of history) {
    if (row.day >= today || row.day < weekAgo) continue;
    byKey.set(snapshotKey(row), [...(byKey.get(snapshotKey(row)) ?? []), row]);
  }
  const events: TrendEvent[] = [];
  for (const row of current) {
    const past = (byKey.get(snapshotKey(row)) ?? []).sort((a, b) => a.day.localeCompare(b.day));
    const oldest = past[0];
    const dayBefore = past.find((p) => p.day === yesterday);
    if (oldest && oldest.day < yesterday) pushEvent(events, row, oldest, 'week', daysBetween(oldest.day, today));
    if (dayBefore) pushEvent(events, row, dayBefore, 'day', 1);
  }
  return events.sort((a, b) => weight(b) - weight(a) || (a.span === 'week' ? -1 : 1)).slice(0, MAX_EVENTS);
}

function pushEvent(
  events: TrendEvent[],
  now: SnapshotRow,
  then: DatedRow,
  span: TrendEvent['span'],
  days: number,
): void {
  const bloatPercent = change(
    then.bloatPercent,
    now.bloatPercent,
    (c) => Math.abs(c.to - c.from) >= NOTABLE.bloatPercentPoints,
  );
  const bloatBytes = change(then.bloatBytes, now.bloatBytes, notableBytes);
  const totalBytes = change(then.totalBytes, now.totalBytes, notableBytes);
  const deadTuples = change(
    then.deadTuples,
    now.deadTuples,
    (c) => Math.abs(c.to - c.from) >= Math.max(NOTABLE.deadTuples, NOTABLE.deadTuplesShare * c.from),
  );
  if (!bloatPercent && !bloatBytes && !totalBytes && !deadTuples) return;
  const event = {
    kind: now.kind,
    schema: now.schema,
    relation: now.relation,
    span,
    days,
    ...defined({ bloatPercent, bloatBytes, totalBytes, deadTuples }),
  };
  events.push({ ...event, text: describe(event) });
}

const notableBytes = (c: Change) => Math.abs(c.to - c.from) >= Math.max(NOTABLE.bytes, NOTABLE.bytesShare * c.from);

function change(from: number | null, to: number | null, notable: (c: Change) => boolean): Change | undefined {
  if (from === null || to === null) return undefined;
  const c = { from, to };
  return notable(c) ? c : undefined;
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const weight = (e: TrendEvent) =>
  Math.abs((e.bloatBytes?.to ?? 0) - (e.bloatBytes?.from ?? 0)) +
  Math.abs((e.totalBytes?.to ?? 0) - (e.totalBytes?.from ?? 0));
const signedBytes = (c: Change) => `${c.to >= c.from ? '+' : '−'}${formatBytes(Math.abs(c.to - c.from))}`;

function describe(event: Omit<TrendEvent, 'text'>): string {
  const when = event.span === 'day' ? 'since yesterday' : `in ${event.days} days`;
  const name =
    event.kind === 'total' || event.relation === TOTAL_RELATION
      ? 'reclaimable in all'
      : qualifiedName(event.schema, event.relation);
  const parts: string[] = [];
  if (event.bloatPercent) {
    const bytes = event.bloatBytes ? `, ${signedBytes(event.bloatBytes)}` : '';
    parts.push(
      `bloat ${formatPercent(event.bloatPercent.from, 0)} → ${formatPercent(event.bloatPercent.to, 0)} ${when}${bytes}`,
    );
  } else if (event.bloatBytes) {
    const label = event.kind === 'total' ? '' : 'bloat ';
    parts.push(
      `${label}${formatBytes(event.bloatBytes.from)} → ${formatBytes(event.bloatBytes.to)} ${when} (${signedBytes(event.bloatBytes)})`,
    );
  }
  if (event.totalBytes)
    parts.push(`size ${formatBytes(event.totalBytes.from)} → ${formatBytes(event.totalBytes.to)} ${when}`);
  if (event.deadTuples)
    parts.push(`dead tuples ${formatCount(event.deadTuples.from)} → ${formatCount(event.deadTuples.to)} ${when}`);
  return `${name}: ${parts.join('; ')}`;
}
