import { truncate } from '../report/format.js';
import type { Report } from '../report/model.js';
import type { AuditRecord } from '../state/audit.js';

/** What one audit entry's details say in a word or two (the outcome, the refusal, the problem found). */
function detailText(record: AuditRecord): string {
  const details = record.details ?? {};
  const pick = (key: string) => (typeof details[key] === 'string' ? (details[key] as string) : undefined);
  return truncate(pick('summary') ?? pick('problem') ?? pick('detail') ?? pick('note') ?? '', 120);
}

/** Recent audit entries, newest first, as a Report: every surface renders it like any command's. */
export function auditReport(records: readonly AuditRecord[], scope: { target?: string; limit: number }): Report {
  const where = scope.target ? `target ${scope.target}` : 'every target';
  return {
    title: `Healing audit (${where})`,
    status: 'ok',
    summary: records.length
      ? `The ${records.length} most recent audit ${records.length === 1 ? 'entry' : 'entries'} for ${where}, newest first.`
      : `No healing audit entries for ${where} yet.`,
    sections: [
      {
        kind: 'table',
        columns: [
          { header: 'at' },
          { header: 'event' },
          { header: 'action' },
          { header: 'target' },
          { header: 'by' },
          { header: 'request' },
          { header: 'detail' },
        ],
        rows: records.map((r) => [
          r.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          r.reason ? `${r.event} (${r.reason})` : r.event,
          r.action ?? '',
          r.target ?? '',
          r.actor ?? 'pgmedic',
          r.requestId ?? '',
          detailText(r),
        ]),
        empty: 'nothing recorded',
      },
    ],
    actions: [],
    footnotes: [`The audit log is append-only; showing at most ${scope.limit} entries.`],
  };
}
