import { EXCLUSIVELY_LOCKED_RELATIONS_SQL, notExclusivelyLocked } from '../../src/db/sql.js';

// How much of its range a sequence has used. The range ends at the sequence's own limit or at the limit of the
// integer column it feeds, whichever comes first: lo/hi below. A never-used sequence is measured at its start
// (the value before the first nextval). The sequences are split in two halves at the median oid, each half
// queried on its own connection ($2: 0 for the lower half, 1 for the upper) and the halves merged
// (sequences/merge.ts); the split is a range, not a modulo: oids come in strides, and the planner estimates a range.
//
// Speed at 10,000 sequences: pg_sequence_last_value reads one page per sequence, 10,000 pages of the 16,384 that
// 128 MB of shared buffers hold. Looking up every sequence's column (pg_depend, pg_attrdef, pg_attribute) adds
// about 8,000 catalog pages, and the two no longer fit: each run read back ~17,000 pages. So the column is looked
// up only where it can change the answer: a column's type is none, smallint, integer or bigint (bigint never
// binds a sequence: its values are bigint), so the figure is one of three computed without it. A sequence whose
// highest possible figure is below the lowest possible figure of $1 others cannot be among the $1 most used;
// of the others, those whose three figures differ (the candidates) are measured against their real column. The
// rows returned get their column too.

const inHalf = (oid: string) =>
  `CASE WHEN $2 = 0 THEN ${oid} < (SELECT oid FROM split) ELSE ${oid} >= (SELECT oid FROM split) END`;

/** Percent used against a column whose type holds at most `columnMax` (numeric, NULL: no integer column). */
const percentUsed = (columnMax: string) => {
  const lo = `greatest(min_value, -1 - ${columnMax})`;
  const hi = `least(max_value, ${columnMax})`;
  return `(CASE WHEN NOT measurable THEN NULL
              WHEN ${hi} = ${lo} THEN 100
              WHEN increment > 0 THEN greatest(0, 100 * (at_value - ${lo}) / (${hi} - ${lo}))
              ELSE greatest(0, 100 * (${hi} - at_value) / (${hi} - ${lo})) END)::float8`;
};

/**
 * The column each sequence of `sequences` (a CTE with an `oid` column) feeds with the most restrictive type, and
 * the strongest link to it (a serial column is both owned by and named in a default): serial / OWNED BY ('a') and
 * identity ('i') columns it depends on, and columns whose DEFAULT names it, looked up per sequence through
 * pg_depend's indexes. One row per sequence that feeds a column; column_max NULL when none is an integer.
 */
const columnOf = (sequences: string) => `
  SELECT DISTINCT ON (k.seq_oid) k.seq_oid, k.table_oid, k.attnum, k.link,
         CASE t.base_type WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647
                          WHEN 'int8'::regtype THEN 9223372036854775807 END::numeric AS column_max
  FROM ${sequences} q
  CROSS JOIN LATERAL (
    SELECT q.oid AS seq_oid, d.refobjid AS table_oid, d.refobjsubid AS attnum,
           CASE d.deptype WHEN 'i' THEN 'identity' ELSE 'owned' END AS link
    FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = q.oid
      AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
    UNION ALL
    SELECT q.oid, ad.adrelid, ad.adnum, 'default'
    FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid
    WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = q.oid
      AND d.classid = 'pg_catalog.pg_attrdef'::regclass
    OFFSET 0
  ) k
  CROSS JOIN LATERAL (
    -- a domain over an integer type counts as that type
    SELECT CASE WHEN a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN a.atttypid
                ELSE (SELECT coalesce(nullif(ty.typbasetype, 0), ty.oid) FROM pg_catalog.pg_type ty WHERE ty.oid = a.atttypid)
           END AS base_type
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = k.table_oid AND a.attnum = k.attnum AND NOT a.attisdropped
    OFFSET 0
  ) t
  ORDER BY k.seq_oid, column_max NULLS LAST, k.link DESC, k.table_oid, k.attnum`;

export const SEQUENCES_SQL = `
WITH split AS (
  SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY seqrelid) AS oid FROM pg_catalog.pg_sequence
), seqs AS MATERIALIZED (
  -- Every sequence of this half with its position. measurable: the role may read it, it is not unlogged on a
  -- standby, and nobody holds it in ACCESS EXCLUSIVE (pg_sequence_last_value would wait). Each OFFSET 0 keeps a
  -- layer from being merged into the next, so every function runs once per sequence.
  SELECT m.*, coalesce(m.last_value, m.start_value - m.increment::numeric) AS at_value
  FROM (
    SELECT p.*, CASE WHEN p.measurable THEN pg_sequence_last_value(p.oid)::numeric END AS last_value
    FROM (
      SELECT r.*, r.readable AND NOT (r.relpersistence = 'u' AND pg_is_in_recovery()) AND ${notExclusivelyLocked('r.oid')} AS measurable
      FROM (
        SELECT s.seqrelid AS oid, n.nspname AS schema, c.relname AS sequence, c.relpersistence,
               s.seqincrement::float8 AS increment, s.seqstart::numeric AS start_value,
               s.seqmin::numeric AS min_value, s.seqmax::numeric AS max_value,
               has_sequence_privilege(s.seqrelid, 'SELECT,USAGE') AS readable
        FROM pg_catalog.pg_sequence s
        JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid AND c.relkind = 'S'
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT pg_is_other_temp_schema(n.oid) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND ${inHalf('s.seqrelid')}
        OFFSET 0
      ) r
      OFFSET 0
    ) p
    OFFSET 0
  ) m
), bounds AS MATERIALIZED (
  -- The figure against each type its column could have (no integer column and bigint give the same: a
  -- sequence's values are bigint). The real figure is one of the three: low <= real <= high.
  SELECT b.oid, b.measurable, least(b.p_none, b.p_int4, b.p_int2) AS low, greatest(b.p_none, b.p_int4, b.p_int2) AS high
  FROM (
    SELECT oid, measurable, ${percentUsed('NULL::numeric')} AS p_none, ${percentUsed('2147483647::numeric')} AS p_int4,
           ${percentUsed('32767::numeric')} AS p_int2
    FROM seqs
  ) b
), ranked AS MATERIALIZED (
  -- The sequences that can be among the $1 most used: $1 sequences have a real figure of at least the $1-th
  -- highest low, so one whose high is below it ranks after them.
  SELECT b.oid, b.low, b.high FROM bounds b
  WHERE b.measurable
    AND b.high >= coalesce((SELECT low FROM bounds WHERE measurable ORDER BY low DESC LIMIT 1 OFFSET $1 - 1), '-Infinity')
), candidates AS MATERIALIZED (
  -- those whose figure depends on their column (low = high: it is the real figure)
  SELECT oid FROM ranked WHERE low <> high
), measured AS (${columnOf('candidates')}
), result AS MATERIALIZED (
  -- the sequences that can rank, measured exactly, and those that cannot be measured (no figure, listed last)
  SELECT s.oid, s.schema, s.sequence, s.increment, s.last_value, s.min_value, s.max_value, s.at_value, s.readable,
         CASE WHEN r.low = r.high THEN r.low ELSE ${percentUsed('c.column_max')} END AS percent_used
  FROM seqs s
  LEFT JOIN ranked r ON r.oid = s.oid
  LEFT JOIN measured c ON c.seq_oid = s.oid
  WHERE NOT s.measurable OR r.oid IS NOT NULL
)
-- the most used, and every sequence the role may not read (up to the same limit): those are not checked
, chosen AS MATERIALIZED (
  (SELECT * FROM result ORDER BY percent_used DESC NULLS LAST, schema, sequence LIMIT $1)
  UNION
  (SELECT * FROM result WHERE NOT readable ORDER BY schema, sequence LIMIT $1)
), chosen_column AS (${columnOf('chosen')}
), shown AS (
  SELECT r.*, c.table_oid, c.attnum, c.link, c.column_max, -1 - c.column_max AS column_min,
         greatest(r.min_value, -1 - c.column_max) AS lo, least(r.max_value, c.column_max) AS hi
  FROM chosen r LEFT JOIN chosen_column c ON c.seq_oid = r.oid
)
SELECT r.schema, r.sequence, format('%I.%I', r.schema, r.sequence) AS ident,
       (SELECT count(*) FROM result WHERE NOT readable) AS unreadable_total,
       s.seqtypid::regtype::text AS data_type, r.increment, r.last_value::text AS last_value,
       r.min_value::text AS min_value, r.max_value::text AS max_value, s.seqcycle AS cycles,
       tn.nspname AS table_schema, t.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS column_type, r.link,
       (CASE WHEN r.increment > 0 THEN r.hi ELSE r.lo END)::text AS run_out_at,
       CASE WHEN r.increment > 0 THEN r.column_max < r.max_value ELSE r.column_min > r.min_value END AS column_binds,
       r.readable, r.percent_used,
       greatest(0, floor(CASE WHEN r.increment > 0 THEN (r.hi - r.at_value) ELSE (r.at_value - r.lo) END / abs(r.increment::numeric)))::float8 AS remaining
FROM shown r
JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
LEFT JOIN pg_catalog.pg_class t ON t.oid = r.table_oid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = r.table_oid AND a.attnum = r.attnum
ORDER BY r.percent_used DESC NULLS LAST, r.schema, r.sequence`;

export const SKIPPED_SQL = `
SELECT l.schema, l.name
FROM (${EXCLUSIVELY_LOCKED_RELATIONS_SQL}) l
JOIN pg_catalog.pg_namespace n ON n.nspname = l.schema
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = l.name
WHERE c.relkind = 'S'`;
