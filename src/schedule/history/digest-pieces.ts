import type { RelationSize, Snapshot } from '../../db/counters.js';
import type { Target } from '../../db/targets.js';
import type { HistoryReader } from '../../engine/history.js';
import { parseOptions } from '../../engine/options.js';
import { findCommand } from '../../engine/registry.js';
import { runCommand } from '../../engine/run.js';
import { describeError } from '../../errors.js';
import { formatBytes, formatPercent, percentOf, qualifiedName } from '../../report/format.js';
import type { Report } from '../../report/model.js';
import type { DigestPiece } from '../digest-model.js';

const DAY_MS = 86_400_000;
/** Rows each history section shows in the digest. */
const DIGEST_ROWS = 5;

/**
 * The digest's two history sections, for a target with stored snapshots: statements that got slower since
 * yesterday (`slow-queries --regressed --since 24h`) and the largest growth in size. A section with nothing to
 * compare yet (fewer than two days of snapshots, no pg_stat_statements) is left out rather than shown as a warning.
 */
export async function historyPieces(target: Target, history: HistoryReader, now: () => Date): Promise<DigestPiece[]> {
  const pieces = [await regressedPiece(target, history, now), await growthPiece(target, history, now)];
  return pieces.filter((p): p is DigestPiece => p !== undefined);
}

async function regressedPiece(
  target: Target,
  history: HistoryReader,
  now: () => Date,
): Promise<DigestPiece | undefined> {
  const command = findCommand('slow-queries');
  const options = parseOptions(command, ['--regressed', '--since', '24h', '--limit', String(DIGEST_ROWS)]);
  const started = performance.now();
  try {
    const result = await runCommand({ command, target, options, now, history });
    if ((result.findings as { kind?: string }).kind !== 'regressed') return undefined;
    const report = { ...result.report, title: 'Queries that got slower since yesterday' };
    return {
      command: 'slow-queries',
      report,
      findings: result.findings,
      error: null,
      elapsedMs: result.meta.elapsedMs,
    };
  } catch (error) {
    return failed('slow-queries', error, started);
  }
}

async function growthPiece(target: Target, history: HistoryReader, now: () => Date): Promise<DigestPiece | undefined> {
  const started = performance.now();
  try {
    const reader = history(target.name);
    const latestHead = await reader.baseline(now());
    const earlierHead = latestHead && (await reader.baseline(new Date(latestHead.takenAt.getTime() - DAY_MS)));
    if (!latestHead || !earlierHead?.coversWindow || earlierHead.id === latestHead.id) return undefined;
    const [latest, earlier] = [await reader.snapshot(latestHead.id), await reader.snapshot(earlierHead.id)];
    if (!latest || !earlier) return undefined;
    const findings = sizeGrowth(earlier, latest);
    return {
      command: 'size-growth',
      report: growthReport(findings, earlier, latest),
      findings,
      error: null,
      elapsedMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    return failed('size-growth', error, started);
  }
}

const failed = (command: string, error: unknown, started: number): DigestPiece => ({
  command,
  report: null,
  findings: null,
  error: describeError(error).text,
  elapsedMs: Math.round(performance.now() - started),
});

export interface Growth {
  name: string;
  kind: 'database' | 'table';
  bytesBefore: number;
  bytesNow: number;
  growth: number;
}

const totalOf = (r: RelationSize) => r.tableBytes + r.indexBytes;

/** Databases and tables (with their indexes) that grew most between two snapshots, largest growth first. */
export function sizeGrowth(earlier: Snapshot, latest: Snapshot): Growth[] {
  const before = new Map(earlier.databases.map((d) => [d.database, d.sizeBytes]));
  const databases = latest.databases.flatMap((d): Growth[] => {
    const b = before.get(d.database);
    return b == null || d.sizeBytes == null
      ? []
      : [{ name: d.database, kind: 'database', bytesBefore: b, bytesNow: d.sizeBytes, growth: d.sizeBytes - b }];
  });
  const relationsBefore = new Map(earlier.relations.map((r) => [`${r.schema}.${r.relation}`, totalOf(r)]));
  const tables = latest.relations.flatMap((r): Growth[] => {
    const b = relationsBefore.get(`${r.schema}.${r.relation}`);
    return b === undefined
      ? []
      : [
          {
            name: qualifiedName(r.schema, r.relation),
            kind: 'table',
            bytesBefore: b,
            bytesNow: totalOf(r),
            growth: totalOf(r) - b,
          },
        ];
  });
  const top = (rows: Growth[]) =>
    rows
      .filter((g) => g.growth > 0)
      .sort((a, b) => b.growth - a.growth || a.name.localeCompare(b.name))
      .slice(0, DIGEST_ROWS);
  return [...top(databases), ...top(tables)];
}

function growthReport(growth: Growth[], earlier: Snapshot, latest: Snapshot): Report {
  const tables = growth.filter((g) => g.kind === 'table');
  const top = tables[0] ?? growth[0];
  return {
    title: 'Largest growth in size since yesterday',
    status: 'ok',
    summary: top
      ? `${top.name} grew most: ${formatBytes(top.bytesBefore)} → ${formatBytes(top.bytesNow)} (+${formatBytes(top.growth)}).`
      : 'Nothing grew since yesterday.',
    sections: growth.length
      ? [
          {
            kind: 'table',
            columns: [
              { header: 'name' },
              { header: 'kind' },
              { header: 'yesterday', align: 'right' },
              { header: 'now', align: 'right' },
              { header: 'growth', align: 'right' },
              { header: '%', align: 'right' },
            ],
            rows: growth.map((g) => [
              g.name,
              g.kind,
              formatBytes(g.bytesBefore),
              formatBytes(g.bytesNow),
              `+${formatBytes(g.growth)}`,
              formatPercent(percentOf(g.growth, g.bytesBefore)),
            ]),
          },
        ]
      : [],
    actions: [],
    footnotes: [
      `From the snapshots of ${earlier.takenAt.toISOString()} and ${latest.takenAt.toISOString()}; tables are the ${latest.relations.length} largest by catalog size, with their indexes and TOAST.`,
    ],
  };
}
