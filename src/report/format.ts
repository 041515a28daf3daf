/** Number and time formatting shared by every report. Pure. */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 kB" (1024-based, as PostgreSQL's pg_size_pretty). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return '–';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${sign}${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** 3725 → "1h 2m", 60 → "1m", 7200 → "2h", 42.5 → "43s", 0.25 → "250ms": two units at most, a zero one dropped. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (Math.round(seconds * 1000) < 1000) return `${Math.round(seconds * 1000)}ms`;
  // Whole seconds first, so 59.6 s is "1m" and 119.7 s "2m", never "60s" or "1m 60s".
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return units(minutes, 'm', whole % 60, 's');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return units(hours, 'h', minutes % 60, 'm');
  return units(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

const units = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
  small ? `${big}${bigUnit} ${small}${smallUnit}` : `${big}${bigUnit}`;

/** 12.345 → "12.3%" */
export function formatPercent(percent: number | null | undefined, digits = 1): string {
  if (percent === null || percent === undefined || Number.isNaN(percent)) return '–';
  return `${percent.toFixed(digits)}%`;
}

/**
 * 1234567 → "1,234,567". Grouped by hand: the first toLocaleString in a process loads ICU's number formatting,
 * ~10 ms of every CLI run (much more on a busy machine).
 */
export function formatCount(count: number | null | undefined): string {
  if (count === null || count === undefined || Number.isNaN(count)) return '–';
  return String(Math.round(count)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 1_234_567_890 → "1.23 B" (for XID ages and similar large counts). */
export function formatLargeCount(count: number | null | undefined): string {
  if (count === null || count === undefined || Number.isNaN(count)) return '–';
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)} M`;
  if (count >= 1e4) return `${(count / 1e3).toFixed(0)} k`;
  return formatCount(count);
}

/** 4.2 → "4.20 ms" */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms >= 1000) return formatDuration(ms / 1000);
  return `${ms.toFixed(ms >= 100 ? 0 : 2)} ms`;
}

/** Collapses whitespace and cuts to `max` characters with an ellipsis. */
export function truncate(text: string | null | undefined, max: number): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** "schema.name", leaving out `public.` for readability. */
export function qualifiedName(schema: string, name: string): string {
  return schema === 'public' ? name : `${schema}.${name}`;
}

/**
 * A database or role name inside one of pgmedic's sentences (summaries, alerts): in double quotes, on one line, with
 * quotes, backslashes and control characters escaped as JSON writes them, so a name cannot end the sentence, start a
 * line of its own or pass for pgmedic's words. Each surface escapes the rest (mrkdwn, the terminal).
 */
export function quotedName(name: string): string {
  // JSON leaves the Unicode line breaks (NEL, LS, PS) as they are.
  return JSON.stringify(name).replace(
    /[\u0085\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/** `part` as a percentage of `whole`; null when there is no whole to speak of (never a division by zero). */
export function percentOf(part: number, whole: number): number | null {
  return whole > 0 ? (100 * part) / whole : null;
}
