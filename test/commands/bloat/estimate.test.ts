import { describe, expect, it } from 'vitest';
import {
  bloatShare,
  btreeItemBytes,
  dataWidth,
  expectedBtreePages,
  expectedHeapPages,
  heapItemBytes,
  type ColumnStats,
} from '../../../commands/bloat/estimate.js';

const int4: ColumnStats = { len: 4, align: 'i', width: 4, nullFrac: 0 };
const int8: ColumnStats = { len: 8, align: 'd', width: 8, nullFrac: 0 };
const shortText: ColumnStats = { len: -1, align: 'i', width: 21, nullFrac: 0 };

describe('bloat estimate layout', () => {
  it('pads each column to its alignment, in column order', () => {
    expect(dataWidth([int4, int8])).toBe(16); // 4 + 4 padding + 8
    expect(dataWidth([int8, int4])).toBe(12);
    expect(dataWidth([int4, shortText])).toBe(25); // short varlena: 1-byte header, no alignment
  });

  it('weights nullable columns by their non-null share and adds the null bitmap', () => {
    expect(dataWidth([{ ...int8, nullFrac: 0.5 }])).toBe(4);
    expect(heapItemBytes([int4, int8])).toBe(24 + 16 + 4);
    // 23-byte header + 1-byte bitmap still fits 24; 9 columns need 2 bitmap bytes → 32
    expect(heapItemBytes(Array.from({ length: 9 }, () => ({ ...int4, nullFrac: 0.1 })))).toBe(
      32 + Math.ceil((9 * 4 * 0.9) / 8) * 8 + 4,
    );
  });

  it('packs heap pages up to the fillfactor and btree leaves to theirs', () => {
    // int4 + int8 rows: 44 bytes each, (8192 - 24) / 44 = 185 per page
    expect(expectedHeapPages(185 * 10, [int4, int8], 8192, 100)).toBe(10);
    expect(expectedHeapPages(185 * 10, [int4, int8], 8192, 50)).toBeGreaterThan(19);
    expect(btreeItemBytes([int4])).toBe(16 + 4);
    // 10,000 int4 keys at fillfactor 90: (8192 - 40 - 819) / 20 = 366 per leaf → 28 leaves + 1 root + metapage
    expect(expectedBtreePages(10_000, [int4], 8192, 90)).toBe(30);
  });

  it('reports the unneeded share, never below zero', () => {
    expect(bloatShare(100, 30)).toBe(70);
    expect(bloatShare(100, 120)).toBe(0);
    expect(bloatShare(0, 0)).toBe(0);
  });
});
