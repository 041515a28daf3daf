/**
 * Reads a figure back from the text the report formatters print (src/report/format.ts), so a data table can
 * carry it as a raw_number: Slack sorts a column numerically only when every cell in it is a raw_number, and
 * "3.13 MB" must sort above "900 kB". The value is a sort key in the column's base unit (bytes, seconds, a
 * count, a percentage); the cell keeps the formatted text, units included, for people to read.
 */

/** Cells of one column are comparable only within one family: bytes do not sort against seconds. */
export type Family = 'count' | 'bytes' | 'duration' | 'percent';

export interface ShownNumber {
  value: number;
  family: Family;
}

const NUMBER = '-?\\d+(?:\\.\\d+)?';
const BYTES: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4, PB: 1024 ** 5 };
const LARGE: Record<string, number> = { k: 1e3, M: 1e6, B: 1e9 };
const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

const GROUPED = /^-?\d{1,3}(?:,\d{3})+$/;
const PLAIN = new RegExp(`^${NUMBER}$`);
const PERCENT = new RegExp(`^(${NUMBER})%$`);
// formatBytes prints whole bytes ("512 B"); formatLargeCount prints billions with two decimals ("1.23 B").
const WHOLE_BYTES = /^(-?\d+) B$/;
const SIZED = new RegExp(`^(${NUMBER}) (kB|MB|GB|TB|PB)$`);
const LARGE_COUNT = new RegExp(`^(${NUMBER}) (k|M)$|^(-?\\d+\\.\\d+) B$`);
const DURATION_PART = '\\d+(?:\\.\\d+)?\\s?(?:ms|s|m|h|d)';
const DURATION = new RegExp(`^-?${DURATION_PART}(?: ${DURATION_PART})*$`);

/** The number a formatted cell shows, or undefined when it is not one ("–", "never", "off", a name). */
export function shownNumber(text: string): ShownNumber | undefined {
  const cell = text.trim();
  if (GROUPED.test(cell)) return { value: Number(cell.replace(/,/g, '')), family: 'count' };
  if (PLAIN.test(cell)) return { value: Number(cell), family: 'count' };
  const percent = PERCENT.exec(cell);
  if (percent) return { value: Number(percent[1]), family: 'percent' };
  const whole = WHOLE_BYTES.exec(cell);
  if (whole) return { value: Number(whole[1]), family: 'bytes' };
  const sized = SIZED.exec(cell);
  if (sized) return { value: Number(sized[1]) * BYTES[sized[2]!]!, family: 'bytes' };
  const large = LARGE_COUNT.exec(cell);
  if (large) {
    const value = large[1] !== undefined ? Number(large[1]) * LARGE[large[2]!]! : Number(large[3]) * LARGE.B!;
    return { value, family: 'count' };
  }
  if (DURATION.test(cell)) return { value: durationSeconds(cell), family: 'duration' };
  return undefined;
}

function durationSeconds(cell: string): number {
  const sign = cell.startsWith('-') ? -1 : 1;
  let seconds = 0;
  for (const [, amount, unit] of cell.matchAll(/(\d+(?:\.\d+)?)\s?(ms|s|m|h|d)/g)) {
    seconds += unit === 'ms' ? Number(amount) / 1000 : Number(amount) * SECONDS[unit!]!;
  }
  return sign * seconds;
}

/**
 * A column's values when every cell is a figure of one family; undefined otherwise, and the column stays text
 * (sorted alphabetically). A "–" for a missing figure keeps the column text too: a raw_number needs a value,
 * and inventing one for a missing figure would sort it among real ones.
 */
export function numericColumn(cells: string[]): number[] | undefined {
  const parsed = cells.map(shownNumber);
  if (!parsed.length || parsed.some((p) => p === undefined)) return undefined;
  const families = new Set(parsed.map((p) => p!.family));
  if (families.size > 1 || parsed.some((p) => !Number.isFinite(p!.value))) return undefined;
  return parsed.map((p) => p!.value);
}
