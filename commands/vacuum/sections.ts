import { queryColumn } from '../../src/report/query-text.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  formatPercent,
  qualifiedName,
} from '../../src/report/format.js';
import type { Section } from '../../src/report/model.js';
import type { HorizonHolder, RunningVacuum, WraparoundCandidate } from './findings.js';

function deadItems(run: RunningVacuum): string {
  if (run.deadTupleBytes !== null && run.maxDeadTupleBytes !== null) {
    return `${formatCount(run.deadItemIds)} (${formatBytes(run.deadTupleBytes)} of ${formatBytes(run.maxDeadTupleBytes)})`;
  }
  return run.maxDeadTuples !== null
    ? `${formatCount(run.deadItemIds)} of ${formatCount(run.maxDeadTuples)}`
    : formatCount(run.deadItemIds);
}

function scanned(run: RunningVacuum): string {
  return run.heapBlocksTotal > 0 ? formatPercent((100 * run.heapBlocksScanned) / run.heapBlocksTotal, 0) : '–';
}

export function runningSection(running: RunningVacuum[]): Section {
  return {
    kind: 'table',
    title: 'Vacuums running now',
    columns: [
      { header: 'pid' },
      { header: 'table' },
      { header: 'phase' },
      { header: 'scanned', align: 'right' },
      { header: 'dead items', align: 'right' },
      { header: 'by' },
      { header: 'running', align: 'right' },
      { header: 'waiting on' },
    ],
    rows: running.map((r) => [
      String(r.pid),
      r.table ? qualifiedName(r.schema ?? '', r.table) : `(in ${r.database ?? '?'})`,
      r.phase,
      scanned(r),
      deadItems(r),
      `${r.autovacuum ? 'autovacuum' : 'manual'}${r.toPreventWraparound ? ' (to prevent wraparound)' : ''}`,
      formatDuration(r.runningSeconds),
      r.waitEvent ? `${r.waitEventType}: ${r.waitEvent}` : '',
    ]),
    empty: 'None.',
  };
}

function holderName(holder: HorizonHolder): string {
  if (holder.pid !== null) return `${holder.pid}${holder.name ? ` ${holder.name}` : ''}`;
  return holder.name ?? '';
}

export function horizonSection(horizon: HorizonHolder[]): Section {
  return {
    kind: 'table',
    title: 'What holds the xmin horizon back (oldest first)',
    columns: [
      { header: 'kind' },
      { header: 'who' },
      { header: 'user@database' },
      { header: 'state' },
      { header: 'XIDs behind', align: 'right' },
      { header: 'open for', align: 'right' },
      queryColumn('query', 60),
    ],
    rows: horizon.map((h) => [
      h.kind,
      holderName(h),
      `${h.user ?? ''}@${h.database ?? ''}`,
      h.state ?? '',
      formatLargeCount(h.xminAge),
      formatDuration(h.ageSeconds),
      h.query ?? '',
    ]),
    empty: 'Nothing holds it back.',
  };
}

export function wraparoundSection(candidates: WraparoundCandidate[]): Section {
  return {
    kind: 'table',
    title: 'Closest to a forced anti-wraparound vacuum',
    columns: [
      { header: 'table' },
      { header: 'XID age', align: 'right' },
      { header: 'forced at', align: 'right' },
      { header: 'multixact age', align: 'right' },
      { header: 'of forced', align: 'right' },
    ],
    rows: candidates.map((c) => [
      qualifiedName(c.schema, c.table),
      formatLargeCount(c.xidAge),
      formatLargeCount(c.freezeMaxAge),
      formatLargeCount(c.multixactAge),
      formatPercent(c.percentOfForced, 0),
    ]),
    empty: 'No tables.',
  };
}
