import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/report/format.js';

describe('formatCount', () => {
  it('groups thousands as Intl does for en-US (which it no longer loads)', () => {
    const values = [
      0,
      7,
      999,
      1000,
      1001.5,
      -1234,
      -1234567,
      98_765_432,
      2 ** 53 - 1,
      ...Array.from({ length: 200 }, (_, i) => (i - 100) * 7_919_331_117),
    ];
    for (const value of values) expect(formatCount(value)).toBe(Math.round(value).toLocaleString('en-US'));
    expect(formatCount(null)).toBe('–');
  });
});
