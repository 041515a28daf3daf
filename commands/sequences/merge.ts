/** What merging needs of a row of one part of SEQUENCES_SQL (the sequences with oid % parts = index). */
export interface PartRow {
  schema: string;
  sequence: string;
  readable: boolean;
  percent_used: number | null;
  /** The part's own count of sequences this role may not read. */
  unreadable_total: number;
}

/**
 * The rows the whole query would have returned: the `limit` most used, and the first `limit` unreadable ones
 * by name, in the query's order (percent used descending, NULLs last, then schema and name). Each part
 * returned its own top `limit` of both, so the global ones are among them.
 */
export function mergeParts<Row extends PartRow>(
  parts: readonly (readonly Row[])[],
  limit: number,
): { rows: Row[]; unreadableTotal: number } {
  const all = parts.flat();
  const byUse = [...all].sort(byPercentThenName);
  const unreadable = all.filter((r) => !r.readable).sort(byName);
  const chosen = new Set([...byUse.slice(0, limit), ...unreadable.slice(0, limit)]);
  return {
    rows: byUse.filter((r) => chosen.has(r)),
    unreadableTotal: parts.reduce((sum, part) => sum + Number(part[0]?.unreadable_total ?? 0), 0),
  };
}

/** PostgreSQL compares `name` in the C collation: byte order of the UTF-8 text. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function byName(a: PartRow, b: PartRow): number {
  return compareNames(a.schema, b.schema) || compareNames(a.sequence, b.sequence);
}

/** ORDER BY percent_used DESC NULLS LAST, schema, sequence. */
function byPercentThenName(a: PartRow, b: PartRow): number {
  if (a.percent_used !== b.percent_used) {
    if (a.percent_used === null) return 1;
    if (b.percent_used === null) return -1;
    return b.percent_used - a.percent_used;
  }
  return byName(a, b);
}
