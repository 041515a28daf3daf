/**
 * Statistical size estimates from catalog data: how many pages a heap or a btree would need if it were
 * freshly packed, from reltuples and per-column average widths (pg_stats), with the on-page layout of
 * PostgreSQL (tuple header, null bitmap, alignment padding, line pointers, page header, fillfactor).
 * Pure functions; the numbers are those of a 64-bit build (MAXALIGN 8).
 */

/** One column as the catalog describes it: pg_attribute's attlen/attalign plus pg_stats' width and null share. */
export interface ColumnStats {
  /** pg_attribute.attlen: > 0 fixed width, -1 varlena, -2 cstring. */
  len: number;
  /** pg_attribute.attalign: c, s, i or d. */
  align: string;
  /** pg_stats.avg_width, null when the column has no statistics. */
  width: number | null;
  /** pg_stats.null_frac, null when the column has no statistics. */
  nullFrac: number | null;
}

const MAXALIGN = 8;
const PAGE_HEADER = 24;
const LINE_POINTER = 4;
const HEAP_TUPLE_HEADER = 23;
const INDEX_TUPLE_HEADER = 8;
/** IndexAttributeBitMapData: INDEX_MAX_KEYS (32) bits. */
const INDEX_NULL_BITMAP = 4;
/** BTPageOpaqueData at the end of every btree page. */
const BTREE_SPECIAL = 16;
/** A varlena this small is stored with a 1-byte header and no alignment. */
const SHORT_VARLENA_MAX = 126;
/** Width assumed for a variable-length column without statistics (such estimates are flagged). */
const UNKNOWN_VARLENA_WIDTH = 32;
/** CREATE INDEX fills btree internal pages to 70 % (BTREE_NONLEAF_FILLFACTOR). */
const BTREE_INTERNAL_FILLFACTOR = 70;

const ALIGN_BYTES: Record<string, number> = { c: 1, s: 2, i: 4, d: 8 };

function alignUp(offset: number, to: number): number {
  return Math.ceil(Math.ceil(offset) / to) * to;
}

function columnAlignment(column: ColumnStats, width: number): number {
  if (column.len === -1 && width <= SHORT_VARLENA_MAX) return 1;
  return ALIGN_BYTES[column.align] ?? 1;
}

function columnWidth(column: ColumnStats): number {
  if (column.width !== null) return column.width;
  return column.len > 0 ? column.len : UNKNOWN_VARLENA_WIDTH;
}

/**
 * Expected bytes of the data part of a tuple: columns in order, each padded to its alignment, weighted
 * by the share of rows where it is not null (a null column takes no space, only a bitmap bit).
 */
export function dataWidth(columns: readonly ColumnStats[]): number {
  let offset = 0;
  for (const column of columns) {
    const width = columnWidth(column);
    const present = 1 - (column.nullFrac ?? 0);
    const padding = alignUp(offset, columnAlignment(column, width)) - offset;
    offset += present * (padding + width);
  }
  return offset;
}

const hasNulls = (columns: readonly ColumnStats[]) => columns.some((c) => (c.nullFrac ?? 0) > 0);

/** Bytes one heap row takes on a page: MAXALIGN(header + null bitmap) + data, MAXALIGNed, plus its line pointer. */
export function heapItemBytes(columns: readonly ColumnStats[]): number {
  const bitmap = hasNulls(columns) ? Math.ceil(columns.length / 8) : 0;
  const header = alignUp(HEAP_TUPLE_HEADER + bitmap, MAXALIGN);
  return alignUp(header + dataWidth(columns), MAXALIGN) + LINE_POINTER;
}

/** Bytes one btree leaf entry takes: IndexTupleData (+ null bitmap), data, MAXALIGNed, plus its line pointer. */
export function btreeItemBytes(columns: readonly ColumnStats[]): number {
  const header = alignUp(INDEX_TUPLE_HEADER + (hasNulls(columns) ? INDEX_NULL_BITMAP : 0), MAXALIGN);
  return alignUp(header + dataWidth(columns), MAXALIGN) + LINE_POINTER;
}

/** Space a page offers before fillfactor says stop (PostgreSQL keeps BLCKSZ × (100 − ff) % free). */
function fillableBytes(blockSize: number, special: number, fillfactor: number): number {
  return blockSize - PAGE_HEADER - special - Math.floor((blockSize * (100 - fillfactor)) / 100);
}

/** Heap pages a freshly packed table needs (the fillfactor's reserve counts as needed, not as bloat). */
export function expectedHeapPages(
  tuples: number,
  columns: readonly ColumnStats[],
  blockSize: number,
  fillfactor: number,
): number {
  if (tuples <= 0) return 0;
  const maxPerPage = Math.floor((blockSize - PAGE_HEADER) / (alignUp(HEAP_TUPLE_HEADER, MAXALIGN) + LINE_POINTER));
  const perPage = Math.max(
    1,
    Math.min(maxPerPage, Math.floor(fillableBytes(blockSize, 0, fillfactor) / heapItemBytes(columns))),
  );
  return Math.ceil(tuples / perPage);
}

/** Btree pages a freshly built index needs: the metapage, leaves at the fillfactor, and the internal levels. */
export function expectedBtreePages(
  tuples: number,
  columns: readonly ColumnStats[],
  blockSize: number,
  fillfactor: number,
): number {
  const item = btreeItemBytes(columns);
  const leafPerPage = Math.max(2, Math.floor(fillableBytes(blockSize, BTREE_SPECIAL, fillfactor) / item));
  const fanout = Math.max(2, Math.floor(fillableBytes(blockSize, BTREE_SPECIAL, BTREE_INTERNAL_FILLFACTOR) / item));
  let level = Math.max(1, Math.ceil(Math.max(tuples, 0) / leafPerPage));
  let pages = 1 + level;
  while (level > 1) {
    level = Math.ceil(level / fanout);
    pages += level;
  }
  return pages;
}

/** Share of `actualPages` a packed copy would not need, in percent (0 when the estimate says none). */
export function bloatShare(actualPages: number, expectedPages: number): number {
  if (actualPages <= 0) return 0;
  return Math.max(0, (1 - expectedPages / actualPages) * 100);
}
