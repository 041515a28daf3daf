import { describe, expect, it } from 'vitest';
import { mergeParts, type PartRow } from '../../commands/sequences/merge.js';

const row = (sequence: string, percent: number | null, readable = true, total = 0, schema = 'public'): PartRow => ({
  schema,
  sequence,
  readable,
  percent_used: percent,
  unreadable_total: total,
});

describe('merging the two halves of the sequences query', () => {
  it('keeps the most used across both parts, in the query order (percent descending, NULLs last, then name)', () => {
    const first = [row('a', 90), row('c', 10), row('e', null)];
    const second = [row('b', 90), row('d', 50)];
    const merged = mergeParts([first, second], 3);
    expect(merged.rows.map((r) => r.sequence)).toEqual(['a', 'b', 'd']);
  });

  it('orders names by bytes as PostgreSQL compares name (uppercase before lowercase, é after z)', () => {
    const merged = mergeParts(
      [
        [row('é', 1), row('a', 1)],
        [row('Z', 1), row('z', 1)],
      ],
      10,
    );
    expect(merged.rows.map((r) => r.sequence)).toEqual(['Z', 'a', 'z', 'é']);
  });

  it('adds the first unreadable ones by name beyond the limit, and sums each part’s unreadable count', () => {
    // Every row of a part carries that part's count; the first part has a third unreadable one beyond its limit.
    const first = [row('hot', 99, true, 3), row('x_secret', null, false, 3), row('y_secret', null, false, 3)];
    const second = [row('warm', 80, true, 2), row('a_secret', null, false, 2)];
    const merged = mergeParts([first, second], 1);
    expect(merged.rows.map((r) => r.sequence)).toEqual(['hot', 'a_secret']);
    expect(merged.unreadableTotal).toBe(5);
  });

  it('handles an empty part', () => {
    expect(mergeParts([[], [row('only', 5)]], 20)).toEqual({ rows: [row('only', 5)], unreadableTotal: 0 });
  });
});
