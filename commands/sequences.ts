import { z } from 'zod';
import type { Session } from '../src/db/session.js';
import { defineCommand } from '../src/engine/command.js';
import { intOption } from '../src/engine/units.js';
import { qualifiedName } from '../src/report/format.js';
import { mergeParts, type PartRow } from './sequences/merge.js';
import { sequencesReport } from './sequences/report.js';
import { SEQUENCES_SQL, SKIPPED_SQL } from './sequences/sql.js';

export { sequenceStatus } from './sequences/report.js';

/**
 * How much of its usable range a sequence has consumed. The range ends at the sequence's own limit
 * or at the limit of the column type it feeds, whichever comes first: a bigint sequence behind an
 * int column fails at 2,147,483,647. Values are exact decimal text (bigint passes 2^53).
 */
export interface SequenceUsage {
  schema: string;
  sequence: string;
  /** schema.name quoted for SQL (the grant that makes it readable). */
  ident: string;
  dataType: string;
  increment: number;
  /** pg_sequences.last_value: null when never used (or not readable). */
  lastValue: string | null;
  minValue: string;
  maxValue: string;
  cycles: boolean;
  /** "table.column" it feeds (schema-qualified outside public), null when no column uses it. */
  column: string | null;
  columnType: string | null;
  /** owned = serial / OWNED BY, identity = GENERATED … AS IDENTITY, default = only named in a DEFAULT. */
  columnLink: 'owned' | 'identity' | 'default' | null;
  /** The value it runs out at: the max when ascending, the min when descending. */
  limit: string;
  limitSource: 'sequence' | 'column';
  /** null when the role may not read it, someone holds it in ACCESS EXCLUSIVE, or it is unlogged on a standby. */
  percentUsed: number | null;
  /** Values left before the limit (approximate above 2^53). */
  remaining: number | null;
  readable: boolean;
}

export interface SequencesFindings {
  sequences: SequenceUsage[];
  /** Sequences this role may not read (no SELECT or USAGE), all of them, not only those listed: not checked. */
  unreadableTotal: number;
  /** The role pgmedic connects as, for the grant that fixes it. */
  role: string;
  /** Sequences skipped because another session holds ACCESS EXCLUSIVE on them. */
  skipped: string[];
}

export interface Row extends PartRow {
  sequence: string;
  ident: string;
  data_type: string;
  increment: number;
  last_value: string | null;
  min_value: string;
  max_value: string;
  cycles: boolean;
  table_schema: string | null;
  table_name: string | null;
  column_name: string | null;
  column_type: string | null;
  link: SequenceUsage['columnLink'];
  run_out_at: string;
  column_binds: boolean | null;
  remaining: number | null;
}

export default defineCommand({
  name: 'sequences',
  summary: 'Sequences closest to running out, against the column type they feed as well as their own limit',
  kind: 'diagnostic',
  options: z.object({
    limit: intOption(1, 500, 20, 'Sequences to show (most used first)'),
  }),
  sql: { sequences: SEQUENCES_SQL, skipped: SKIPPED_SQL },

  async collect({ session, caps, alongside }, options) {
    const part = (on: Session, index: number) => on.query<Row>(SEQUENCES_SQL, [options.limit, index]);
    const [first, second] = await Promise.all([part(session, 0), alongside((other) => part(other, 1))]);
    const skipped = await session.query<{ schema: string; name: string }>(SKIPPED_SQL);
    const merged = mergeParts([first, second], options.limit);
    return {
      sequences: merged.rows.map(toUsage),
      unreadableTotal: merged.unreadableTotal,
      role: caps.currentUser,
      skipped: skipped.map((s) => qualifiedName(s.schema, s.name)),
    };
  },

  report: sequencesReport,
});

function toUsage(row: Row): SequenceUsage {
  return {
    schema: row.schema,
    sequence: row.sequence,
    ident: row.ident,
    dataType: row.data_type,
    increment: row.increment,
    lastValue: row.last_value,
    minValue: row.min_value,
    maxValue: row.max_value,
    cycles: row.cycles,
    column: row.column_name ? `${qualifiedName(row.table_schema!, row.table_name!)}.${row.column_name}` : null,
    columnType: row.column_type,
    columnLink: row.link,
    limit: row.run_out_at,
    limitSource: row.column_binds ? 'column' : 'sequence',
    percentUsed: row.percent_used,
    remaining: row.percent_used === null ? null : row.remaining,
    readable: row.readable,
  };
}
