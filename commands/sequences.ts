import { z } from 'zod';
import { EXCLUSIVELY_LOCKED_RELATIONS_SQL, notExclusivelyLocked } from '../src/db/sql.js';
import type { Session } from '../src/db/session.js';
import { defineCommand } from '../src/engine/command.js';
import { intOption } from '../src/engine/units.js';
import { qualifiedName } from '../src/report/format.js';
import { mergeParts, type PartRow } from './sequences/merge.js';
import { sequencesReport } from './sequences/report.js';

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

// Columns that use a sequence: through a serial/OWNED BY ('a') or identity ('i') dependency, or a
// DEFAULT nextval(...) that names it. The most restrictive column type wins.
// Speed at 10,000 sequences: every sequence is ranked on narrow rows (oids, numbers, names), and only the rows
// returned get their column's names and type text. pg_sequence_last_value opens each sequence (a relcache
// entry and a buffer each), so the sequences are split in two halves at the median oid, each half queried on its
// own connection ($2: 0 for the lower half, 1 for the upper) and the halves merged (sequences/merge.ts). The
// split is a range, not a modulo: oids come in strides (often all even), and the planner estimates a range.
const inHalf = (oid: string) =>
  `CASE WHEN $2 = 0 THEN ${oid} < (SELECT oid FROM split) ELSE ${oid} >= (SELECT oid FROM split) END`;

const SEQUENCES_SQL = `
WITH split AS (
  SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY seqrelid) AS oid FROM pg_catalog.pg_sequence
), links AS (
  SELECT d.objid AS seq_oid, d.refobjid AS table_oid, d.refobjsubid AS attnum,
         CASE d.deptype WHEN 'i' THEN 'identity' ELSE 'owned' END AS link
  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_sequence ps ON ps.seqrelid = d.objid AND ${inHalf('ps.seqrelid')}
  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
  UNION ALL
  SELECT d.refobjid, ad.adrelid, ad.adnum, 'default'
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_sequence ps ON ps.seqrelid = d.refobjid AND ${inHalf('ps.seqrelid')}
  JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid
  WHERE d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
), linked AS (
  -- One row per sequence: the column it feeds with the most restrictive type, and the strongest link to it (a
  -- serial column is both owned by and named in a default). The joins come before DISTINCT ON, whose row
  -- estimate is a guess: a join after it could be planned as a nested loop over every pair.
  SELECT DISTINCT ON (s.seqrelid) s.*, c.relname, c.relpersistence, n.nspname, u.link, u.table_oid, u.attnum,
         CASE coalesce(nullif(ty.typbasetype, 0), ty.oid) WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647 WHEN 'int8'::regtype THEN 9223372036854775807 END::numeric AS column_max,
         CASE coalesce(nullif(ty.typbasetype, 0), ty.oid) WHEN 'int2'::regtype THEN -32768 WHEN 'int4'::regtype THEN -2147483648 WHEN 'int8'::regtype THEN -9223372036854775808 END::numeric AS column_min
  FROM pg_catalog.pg_sequence s
  JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN (links u
    JOIN pg_catalog.pg_attribute a ON a.attrelid = u.table_oid AND a.attnum = u.attnum AND NOT a.attisdropped
    JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid) ON u.seq_oid = s.seqrelid
  WHERE NOT pg_is_other_temp_schema(n.oid) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND ${inHalf('s.seqrelid')}
  ORDER BY s.seqrelid, column_max NULLS LAST, u.link DESC, u.table_oid, u.attnum
), seqs AS (
  SELECT l.seqrelid AS oid, l.nspname AS schema, l.relname AS sequence, l.seqincrement::float8 AS increment,
         l.seqstart::numeric AS start_value, l.seqmin::numeric AS min_value, l.seqmax::numeric AS max_value,
         has_sequence_privilege(l.seqrelid, 'SELECT,USAGE') AS readable,
         -- an unlogged sequence cannot be read during recovery
         has_sequence_privilege(l.seqrelid, 'SELECT,USAGE') AND NOT (l.relpersistence = 'u' AND pg_is_in_recovery()) AND ${notExclusivelyLocked('l.seqrelid')} AS measurable,
         CASE WHEN has_sequence_privilege(l.seqrelid, 'SELECT,USAGE') AND NOT (l.relpersistence = 'u' AND pg_is_in_recovery()) AND ${notExclusivelyLocked('l.seqrelid')}
              THEN pg_sequence_last_value(l.seqrelid)::numeric END AS last_value,
         l.column_max, l.column_min, l.table_oid, l.attnum, l.link,
         greatest(l.seqmin, l.column_min) AS lo, least(l.seqmax, l.column_max) AS hi
  FROM linked l
), measured AS (
  -- a never-used sequence is measured at its start (the value before the first nextval)
  SELECT *, coalesce(last_value, start_value - increment::numeric) AS at_value FROM seqs
), result AS (
  SELECT oid, schema, sequence, increment, last_value, min_value, max_value, column_max, column_min, table_oid, attnum, link,
         readable,
         CASE WHEN NOT measurable THEN NULL
              WHEN hi = lo THEN 100
              WHEN increment > 0 THEN greatest(0, 100 * (at_value - lo) / (hi - lo))
              ELSE greatest(0, 100 * (hi - at_value) / (hi - lo)) END::float8 AS percent_used,
         greatest(0, floor(CASE WHEN increment > 0 THEN (hi - at_value) ELSE (at_value - lo) END / abs(increment::numeric)))::float8 AS remaining
  FROM measured
)
-- the most used, and every sequence the role may not read (up to the same limit): those are not checked
, chosen AS MATERIALIZED (
  (SELECT * FROM result ORDER BY percent_used DESC NULLS LAST, schema, sequence LIMIT $1)
  UNION
  (SELECT * FROM result WHERE NOT readable ORDER BY schema, sequence LIMIT $1)
)
SELECT r.schema, r.sequence, format('%I.%I', r.schema, r.sequence) AS ident,
       (SELECT count(*) FROM result WHERE NOT readable) AS unreadable_total,
       s.seqtypid::regtype::text AS data_type, r.increment, r.last_value::text AS last_value,
       r.min_value::text AS min_value, r.max_value::text AS max_value, s.seqcycle AS cycles,
       tn.nspname AS table_schema, t.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS column_type, r.link,
       (CASE WHEN r.increment > 0 THEN least(r.max_value, r.column_max) ELSE greatest(r.min_value, r.column_min) END)::text AS run_out_at,
       CASE WHEN r.increment > 0 THEN r.column_max < r.max_value ELSE r.column_min > r.min_value END AS column_binds,
       r.readable, r.percent_used, r.remaining
FROM chosen r
JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
LEFT JOIN pg_catalog.pg_class t ON t.oid = r.table_oid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = r.table_oid AND a.attnum = r.attnum
ORDER BY r.percent_used DESC NULLS LAST, r.schema, r.sequence`;

const SKIPPED_SQL = `
SELECT l.schema, l.name
FROM (${EXCLUSIVELY_LOCKED_RELATIONS_SQL}) l
JOIN pg_catalog.pg_namespace n ON n.nspname = l.schema
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = l.name
WHERE c.relkind = 'S'`;

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
