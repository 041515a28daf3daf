import { z } from 'zod';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
  tb: 1024 ** 4,
  t: 1024 ** 4,
};

/** "100MB", "1.5 GB", "512kB", "0" → bytes (PostgreSQL's 1024-based units). */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = SIZE_UNITS[(match[2] || 'b').toLowerCase()];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** "30s", "5min", "2h", "250ms", "90" (seconds) → seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = DURATION_UNITS[(match[2] || 's').toLowerCase()];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** A size option: typed as text ("1GB"), parsed to bytes. */
export function sizeOption(defaultText: string, description: string) {
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const bytes = typeof value === 'number' ? value : parseSize(value);
      if (bytes === undefined || bytes < 0) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a size; use a number with a unit, such as 500MB or 2GB` });
        return z.NEVER;
      }
      return bytes;
    })
    .prefault(defaultText)
    .describe(description);
}

/** A duration option: typed as text ("5min"), parsed to seconds. */
export function durationOption(defaultText: string, description: string) {
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const seconds = typeof value === 'number' ? value : parseDuration(value);
      if (seconds === undefined || seconds < 0) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration; use a number with a unit, such as 30s, 5min or 2h` });
        return z.NEVER;
      }
      return seconds;
    })
    .prefault(defaultText)
    .describe(description);
}
