import { NO_HISTORY_READER, noSnapshotsYet } from '../../src/engine/history.js';
import { formatDuration } from '../../src/report/format.js';
import type { Report, ReportWindow } from '../../src/report/model.js';

/** Why there is no window to show: no state database, or no snapshot of this target yet. */
export type NoHistory = { kind: 'window'; state: 'no-reader' | 'no-snapshots'; target: string };

/** The report when there is nothing to compare with: how to start keeping history. */
export function noHistoryReport(findings: NoHistory, title: string): Report {
  const text = findings.state === 'no-reader' ? NO_HISTORY_READER : noSnapshotsYet(findings.target);
  return {
    title,
    status: 'warn',
    summary: text,
    reasons: ['no query history to compare with'],
    sections: [{ kind: 'code', title: 'To take one now', text: `pgmedic snapshot --target ${findings.target}` }],
    actions: [],
    footnotes: [],
  };
}

/** A window as people type it: 15min, 24h, 7d. */
export function formatWindow(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 2 * 86_400) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.round(seconds / 60)}min`;
}

/** "the last 24h" and, when no snapshot was that old, what the window really is. */
export function windowWords(window: ReportWindow): string {
  return `${formatDuration(window.seconds)} (${window.from} to ${window.to})`;
}

export function windowFootnotes(window: ReportWindow, reset: boolean, what: string): string[] {
  return [
    ...(window.coversRequest
      ? []
      : [
          `No snapshot is ${formatWindow(window.requestedSeconds)} old: the window starts at the oldest one, taken ${window.from}, so it covers ${formatDuration(window.seconds)}.`,
        ]),
    ...(reset ? [`${what} was reset within the window: figures count from the reset, so they are lower bounds.`] : []),
  ];
}
