import type { Session } from '../../src/db/session.js';
import { UNUSED_SQL } from './sql.js';

export interface UnusedRow {
  oid: string;
  schema: string;
  table: string;
  index: string;
  size_bytes: number;
  definition: string | null;
  /** schema and index in the server's encoding: what ORDER BY compares (name sorts in the C collation). */
  schema_bytes: Buffer;
  index_bytes: Buffer;
  /** Of this row's part (UNUSED_SQL $3/$4): mergeUnused adds the parts up. */
  total_count: number;
  total_bytes: number;
}

export interface Unused {
  rows: UnusedRow[];
  totalCount: number;
  totalBytes: number;
}

/**
 * One part of the unused indexes (those whose oid % parts = part). pg_relation_size opens each index, building
 * its catalog cache entry on a new connection: on a large catalog the parts run on two connections at once.
 */
export function readUnusedPart(
  session: Session,
  options: { minSize: number; limit: number },
  part: number,
  parts: number,
): Promise<UnusedRow[]> {
  return session.query<UnusedRow>(UNUSED_SQL, [options.minSize, options.limit, parts, part]);
}

/**
 * The parts' rows in UNUSED_SQL's order (size, then schema and index name: name sorts in the C collation, byte by
 * byte in the server's encoding), the first `limit`; totals added up.
 */
export function mergeUnused(parts: UnusedRow[][], limit: number): Unused {
  const rows = parts
    .flat()
    .sort(
      (a, b) =>
        b.size_bytes - a.size_bytes ||
        Buffer.compare(a.schema_bytes, b.schema_bytes) ||
        Buffer.compare(a.index_bytes, b.index_bytes),
    )
    .slice(0, limit);
  const firsts = parts.map((part) => part[0]).filter((row) => row !== undefined);
  return {
    rows,
    totalCount: firsts.reduce((sum, row) => sum + row.total_count, 0),
    totalBytes: firsts.reduce((sum, row) => sum + row.total_bytes, 0),
  };
}
