import bloatCommand, {
  type BloatFindings,
  decidingPercent,
  type RelationBloat,
  relationStatus,
} from '../../commands/bloat.js';
import vacuumCommand, {
  describeHolder,
  holderStatus,
  tableStatus,
  type VacuumFindings,
  type VacuumTable,
  worstRatio,
} from '../../commands/vacuum.js';
import type { Thresholds } from '../config/thresholds.js';
import { formatBytes, formatCount, formatPercent, qualifiedName } from '../report/format.js';
import { worstStatus, type Status } from '../report/model.js';
import { type DigestPiece, sectionFindings, type TargetDigest } from './digest-model.js';
import type { Change, TrendEvent } from './trends/compare.js';

/** Something in a digest that is not OK, with the figures that say how bad, for the headline. */
export interface Offender {
  /** The sections whose findings name it. */
  sources: string[];
  /** "starved_events", "index orders_pkey", "transaction pid 123 (psql)" */
  name: string;
  status: Exclude<Status, 'ok'>;
  /** The worst figure as a multiple of its warn threshold: ranks a vacuum ratio against a bloat percent. */
  severity: number;
  /** "3.9× past its autovacuum trigger", "70% bloat, 2.1 MB", "dead tuples +38% since yesterday" */
  figures: string[];
}

/** A target's status: the worst of its health check and its sections; a failed section counts as warn, unreachable as crit. */
export function targetStatus(target: Pick<TargetDigest, 'status' | 'pieces'>): Status {
  return worstStatus(target.status ?? 'crit', ...target.pieces.map((p): Status => p.report?.status ?? 'warn'));
}

/** A relation's offence, keyed by relation (an index also knows its table's key). */
interface Entry {
  key: string;
  tableKey: string | null;
  offender: Offender;
}

const keyOf = (kind: string, schema: string, name: string) => `${kind}\u0000${schema}\u0000${name}`;

/** Worst first: what a team should look at, named with its figures and, where history exists, its trend. */
export function findOffenders(
  pieces: readonly DigestPiece[],
  trends: readonly TrendEvent[],
  thresholds: Thresholds,
): Offender[] {
  const vacuum = sectionFindings(pieces, vacuumCommand);
  const bloat = sectionFindings(pieces, bloatCommand);
  const entries = [
    ...(vacuum ? vacuumEntries(vacuum, thresholds) : []),
    ...(bloat ? bloatEntries(bloat, thresholds) : []),
  ];
  const byRelation = new Map<string, Offender>();
  const indexesOf = new Map<string, Offender[]>();
  for (const { key, offender } of entries.filter((e) => !e.tableKey))
    byRelation.set(key, byRelation.has(key) ? merged(byRelation.get(key)!, offender) : offender);
  for (const { key, tableKey, offender } of entries.filter((e) => e.tableKey)) {
    // A bloated index of a table already named is part of the same story: said with the table, not in a slot of its own.
    if (byRelation.has(tableKey!)) indexesOf.set(tableKey!, [...(indexesOf.get(tableKey!) ?? []), offender]);
    else byRelation.set(key, offender);
  }
  const relations = [...byRelation.entries()].map(([key, o]) => {
    const withTrend = { ...o, figures: [...o.figures, ...trendFigures(key, trends)] };
    const indexes = indexesOf.get(key) ?? [];
    const along = indexes.reduce<Offender | null>((all, i) => (all ? merged(all, i) : i), null);
    return along
      ? merged(withTrend, {
          ...along,
          figures: [`and its ${indexes.map((i) => `${i.name} ${i.figures.join(', ')}`).join(', ')}`],
        })
      : withTrend;
  });
  return [...relations, ...(vacuum ? holderOffenders(vacuum, thresholds) : [])].sort(
    (a, b) => rank(b.status) - rank(a.status) || b.severity - a.severity,
  );
}

function vacuumEntries(vacuum: VacuumFindings, thresholds: Thresholds): Entry[] {
  if (vacuum.inRecovery) return [];
  return vacuum.tables.flatMap((t): Entry[] => {
    const status = tableStatus(t, thresholds);
    if (status === 'ok') return [];
    const severity = Math.max(1, worstRatio(t) / thresholds.vacuumTriggerRatio.warn);
    return [
      {
        key: keyOf('table', t.schema, t.table),
        tableKey: null,
        offender: {
          sources: ['vacuum'],
          name: qualifiedName(t.schema, t.table),
          status,
          severity,
          figures: vacuumFigures(t),
        },
      },
    ];
  });
}

/** Flagged estimates never set a status (relationStatus), so they are never named. */
function bloatEntries(bloat: BloatFindings, thresholds: Thresholds): Entry[] {
  return bloat.relations.flatMap((r): Entry[] => {
    const status = relationStatus(r, thresholds.bloatPct, bloat.blockSize);
    if (status === 'ok') return [];
    const offender: Offender = {
      sources: ['bloat'],
      name: relationName(r),
      status,
      severity: decidingPercent(r) / thresholds.bloatPct.warn,
      figures: bloatFigures(r),
    };
    return [
      {
        key: keyOf(r.kind, r.schema, r.index ?? r.table),
        tableKey: r.kind === 'index' ? keyOf('table', r.schema, r.table) : null,
        offender,
      },
    ];
  });
}

function holderOffenders(vacuum: VacuumFindings, thresholds: Thresholds): Offender[] {
  return vacuum.horizon.flatMap((h): Offender[] => {
    const status = holderStatus(h, thresholds);
    const severity = (h.ageSeconds ?? 0) / thresholds.oldestTransactionSeconds.warn;
    return status === 'ok'
      ? []
      : [{ sources: ['vacuum'], name: 'xmin horizon', status, severity, figures: [`held by a ${describeHolder(h)}`] }];
  });
}

function merged(a: Offender, b: Offender): Offender {
  const status = worstStatus(a.status, b.status) as Offender['status'];
  return {
    name: a.name,
    status,
    severity: Math.max(a.severity, b.severity),
    sources: [...a.sources, ...b.sources],
    figures: [...a.figures, ...b.figures],
  };
}

const rank = (status: Status) => ({ ok: 0, warn: 1, crit: 2 })[status];

function relationName(r: RelationBloat): string {
  return r.kind === 'index' ? `index ${qualifiedName(r.schema, r.index ?? '')}` : qualifiedName(r.schema, r.table);
}

function vacuumFigures(t: VacuumTable): string[] {
  const dead = (t.ratio ?? 0) >= (t.insertRatio ?? 0);
  const figure = dead
    ? `${times(t.ratio ?? 0)} past its autovacuum trigger`
    : `${times(t.insertRatio ?? 0)} past its insert trigger`;
  return [t.autovacuumEnabled ? figure : `${figure} (autovacuum off for it)`];
}

/** "3.9×", "800×": a tenth matters only for small multiples. */
const times = (ratio: number) => `${ratio < 10 ? ratio.toFixed(1) : formatCount(Math.round(ratio))}×`;

function bloatFigures(r: RelationBloat): string[] {
  const measured = r.exactBloatPercent != null;
  return [
    `${formatPercent(decidingPercent(r), 0)} bloat${measured ? ' (measured)' : ''}`,
    formatBytes(r.exactBloatBytes ?? r.bloatBytes),
  ];
}

/** The day's change where there is one, else the week's. */
function trendFigures(key: string, trends: readonly TrendEvent[]): string[] {
  const mine = trends.filter((e) => keyOf(e.kind, e.schema, e.relation) === key);
  const event = mine.find((e) => e.span === 'day') ?? mine[0];
  if (!event) return [];
  const when = event.span === 'day' ? 'since yesterday' : `in ${event.days} days`;
  return [
    ...(event.deadTuples ? [`dead tuples ${countChange(event.deadTuples)} ${when}`] : []),
    ...(event.bloatPercent
      ? [`bloat ${formatPercent(event.bloatPercent.from, 0)} → ${formatPercent(event.bloatPercent.to, 0)} ${when}`]
      : []),
  ];
}

/** "+38%", or "100 → 8,000" when a percentage would say less than the two figures (from zero, or tenfold). */
function countChange({ from, to }: Change): string {
  if (from <= 0 || to / from >= 10) return `${formatCount(from)} → ${formatCount(to)}`;
  const percent = Math.round((100 * (to - from)) / from);
  return `${percent >= 0 ? '+' : '−'}${Math.abs(percent)}%`;
}

/** "starved_events: 3.9× past its autovacuum trigger, dead tuples 100 → 8,000 since yesterday" */
export function describeOffender(offender: Offender, target?: string): string {
  return `${offender.name}${target ? ` on ${target}` : ''}: ${offender.figures.join(', ')}`;
}
