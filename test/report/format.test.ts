import { describe, expect, it } from 'vitest';
import { formatCount, quotedName } from '../../src/report/format.js';

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

describe('quotedName', () => {
  it('keeps a crafted name on one line, between its own quotes, and reads back to the name', () => {
    const names = ['orders', 'x"; DROP', 'a\nb', 'r\rs', 'p\u2028q\u2029r\u0085s', 'back\\slash', 'tab\tand\u0007bell'];
    for (const name of names) {
      const quoted = quotedName(name);
      expect(quoted).not.toMatch(/[\u0000-\u001f\u0085\u2028\u2029]/);
      expect(quoted.startsWith('"') && quoted.endsWith('"')).toBe(true);
      expect(JSON.parse(quoted)).toBe(name);
    }
    expect(quotedName('orders')).toBe('"orders"');
  });
});
