import type { Thresholds } from '../../src/config/thresholds.js';
import { escapeIdentifier } from '../../src/db/driver.js';
import type { ReportContext } from '../../src/engine/command.js';
import { formatCount, formatPercent, plural, qualifiedName } from '../../src/report/format.js';
import { statusFor, worstStatus, type Report, type Status } from '../../src/report/model.js';
import type { SequencesFindings, SequenceUsage } from '../sequences.js';

export function sequencesReport(findings: SequencesFindings, { thresholds }: ReportContext<unknown>): Report {
  const statuses = findings.sequences.map((s) => sequenceStatus(s, thresholds));
  const known = statuses.filter((s): s is Status => s !== 'unknown');
  const alarming = findings.sequences.find((_, i) => statuses[i] !== 'ok' && statuses[i] !== 'unknown');
  const top = findings.sequences.find((s) => s.percentUsed !== null);
  const unknown = findings.unreadableTotal;
  const notChecked = unknown
    ? `${plural(unknown, 'sequence')} could not be checked: this role may not read ${unknown === 1 ? 'it' : 'them'} (the notes name the grant that fixes it).`
    : '';
  const summary = alarming
    ? `${qualifiedName(alarming.schema, alarming.sequence)} has used ${formatUsed(alarming.percentUsed)} of its range (${formatCount(alarming.remaining)} values left before ${alarming.limit}${alarming.limitSource === 'column' ? `, the limit of ${alarming.columnType} column ${alarming.column}` : ''}).${notChecked ? ` ${notChecked}` : ''}`
    : notChecked
      ? `${notChecked}${top ? ` Of the readable ones, the most used is ${qualifiedName(top.schema, top.sequence)} at ${formatUsed(top.percentUsed)}.` : ''}`
      : top
        ? `No sequence is near its limit; the most used is ${qualifiedName(top.schema, top.sequence)} at ${formatUsed(top.percentUsed)}.`
        : findings.sequences.length
          ? 'No sequence could be measured (see the notes).'
          : 'No sequences in this database.';
  return {
    title: 'Sequences',
    // An unreadable sequence may be the one about to run out: unknown is never ok.
    status: worstStatus(...known, unknown ? 'warn' : 'ok'),
    summary,
    reasons: [
      ...findings.sequences
        .filter((_, i) => statuses[i] === 'warn' || statuses[i] === 'crit')
        .map((s) => `${qualifiedName(s.schema, s.sequence)} at ${formatUsed(s.percentUsed)} of its range`),
      ...(unknown ? [`${plural(unknown, 'sequence')} not checked (not readable by ${findings.role})`] : []),
    ],
    sections: [
      {
        kind: 'table',
        title: 'Closest to running out',
        columns: [
          { header: 'sequence' },
          { header: 'used', align: 'right' },
          { header: 'last value', align: 'right' },
          { header: 'runs out at', align: 'right' },
          { header: 'limited by' },
          { header: 'column' },
        ],
        rows: findings.sequences.map((s) => [
          qualifiedName(s.schema, s.sequence),
          s.readable ? formatUsed(s.percentUsed) : 'not checked',
          s.readable ? (s.lastValue ?? 'never used') : 'not readable',
          s.limit,
          s.limitSource === 'column'
            ? `${s.columnType} column`
            : `${s.dataType} sequence${s.cycles ? ' (cycles)' : ''}`,
          s.column ?? '',
        ]),
        empty: 'no sequences',
      },
    ],
    actions: [],
    footnotes: footnotes(findings),
  };
}

/** Rounded down, so 99.9996 % with values left never reads as 100 %. */
function formatUsed(percent: number | null): string {
  return percent === null ? '–' : formatPercent(Math.floor(percent * 100) / 100, 2);
}

/** A cycling sequence wraps around at its own limit by design; a column limit still breaks inserts. */
export function sequenceStatus(s: SequenceUsage, t: Thresholds): Status | 'unknown' {
  if (!s.readable) return 'unknown';
  if (s.percentUsed === null || (s.cycles && s.limitSource === 'sequence')) return 'ok';
  return statusFor(s.percentUsed, t.sequenceUsedPct);
}

function footnotes(findings: SequencesFindings): string[] {
  const notes: string[] = [];
  if (findings.sequences.some((s) => s.limitSource === 'column' && (s.percentUsed ?? 0) > 0)) {
    notes.push(
      'Where the column type is the limit, raising the sequence does not help: the column needs ALTER COLUMN … TYPE bigint (a table rewrite; plan it).',
    );
  }
  if (findings.unreadableTotal) notes.push(grantNote(findings));
  if (findings.skipped.length)
    notes.push(`Skipped because another session holds ACCESS EXCLUSIVE on them: ${findings.skipped.join(', ')}.`);
  return notes;
}

/**
 * The least grant that lets the role read them: SELECT on a sequence allows reading it (and currval), never
 * nextval or setval. pg_monitor does not cover sequences; pg_read_all_data would, with every table's rows.
 */
function grantNote(findings: SequencesFindings): string {
  const unreadable = findings.sequences.filter((s) => !s.readable);
  const role = escapeIdentifier(findings.role);
  const listed =
    unreadable.length === findings.unreadableTotal
      ? unreadable.map((s) => s.ident).join(', ')
      : `${unreadable.map((s) => s.ident).join(', ')} (and ${findings.unreadableTotal - unreadable.length} more)`;
  const schemas = [...new Set(unreadable.map((s) => escapeIdentifier(s.schema)))];
  return `Not checked, because ${findings.role} may not read them: ${listed}. The least grant that fixes it: GRANT SELECT ON SEQUENCE ${unreadable
    .slice(0, 10)
    .map((s) => s.ident)
    .join(
      ', ',
    )} TO ${role}; (or per schema: GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${schemas.join(', ')} TO ${role};). pg_read_all_data also works, but it reads every table's rows: choose it knowingly.`;
}
