import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  formatMs,
  formatPercent,
} from '../../src/report/format.js';
import { numericColumn, shownNumber } from '../../src/slack/blocks/numbers.js';

/** Values spread over many magnitudes, each formatter's unit changes included. */
const SPREAD = [0, 0.2, 0.9, 1, 7, 59.4, 60, 99, 512, 1023, 1024, 1536, 9_999, 10_000, 59_999, 3_725, 86_399, 172_800];
const MAGNITUDES = SPREAD.flatMap((v) => [v, v * 1_000, v * 1_048_576, v * 1e9]);

describe('shownNumber reads back what the report formatters print', () => {
  it.each([
    ['formatBytes', formatBytes, 'bytes'],
    ['formatCount', formatCount, 'count'],
    ['formatLargeCount', formatLargeCount, 'count'],
    ['formatDuration', formatDuration, 'duration'],
    ['formatMs', (ms: number) => formatMs(ms), 'duration'],
    ['formatPercent', (p: number) => formatPercent(p), 'percent'],
  ] as const)('%s: every figure parses, in one family, and sorts as the values do', (_, format, family) => {
    const values = [...new Set(MAGNITUDES)].sort((a, b) => a - b);
    const shown = values.map((v) => format(v));
    const parsed = shown.map((text) => shownNumber(text));
    expect(parsed.map((p, i) => [shown[i], p?.family])).toEqual(shown.map((text) => [text, family]));
    // Rounding may make neighbours equal; it never puts a smaller value above a larger one.
    for (let i = 1; i < parsed.length; i++) expect(parsed[i]!.value).toBeGreaterThanOrEqual(parsed[i - 1]!.value);
    expect(numericColumn(shown)).toEqual(parsed.map((p) => p!.value));
  });

  it('reads each unit at its size', () => {
    expect(shownNumber('3.13 MB')).toEqual({ value: 3.13 * 1024 ** 2, family: 'bytes' });
    expect(shownNumber('512 B')).toEqual({ value: 512, family: 'bytes' });
    expect(shownNumber('1.23 B')).toEqual({ value: 1.23e9, family: 'count' });
    expect(shownNumber('12 k')).toEqual({ value: 12_000, family: 'count' });
    expect(shownNumber('1h 2m')).toEqual({ value: 3_720, family: 'duration' });
    expect(shownNumber('4.20 ms')).toEqual({ value: expect.closeTo(0.0042, 12), family: 'duration' });
    expect(shownNumber('-5s')).toEqual({ value: -5, family: 'duration' });
    expect(shownNumber('-9,223')).toEqual({ value: -9_223, family: 'count' });
    expect(shownNumber('89.6%')).toEqual({ value: 89.6, family: 'percent' });
  });

  it('leaves what is not a figure as text, and a column with any such cell (or two families) as text', () => {
    for (const text of ['–', 'never', 'off', 'no access', '3h ago', 'orders', '1,2', '12 MB!', '', 'NaN', '5 parsecs'])
      expect(shownNumber(text)).toBeUndefined();
    expect(numericColumn(['1.5 kB', '–', '3 MB'])).toBeUndefined();
    expect(numericColumn(['1.5 kB', '3s'])).toBeUndefined();
    expect(numericColumn([])).toBeUndefined();
    expect(numericColumn(['900 kB', '1.00 MB', '512 B'])).toEqual([900 * 1024, 1024 ** 2, 512]);
  });
});
