import { z } from 'zod';

/**
 * Option values as people type them, strictly: plain decimal digits (no hex, octal, binary, exponent, sign,
 * Infinity or non-ASCII digits), each option with bounds declared once, next to the option (these builders).
 * Help shows the bounds; the hostile-input test checks every accepted value against them.
 */
export type Bounds =
  | { kind: 'count' | 'number'; min: number; max: number }
  | { kind: 'size' | 'duration'; min: number; max: number; display: string }
  | { kind: 'text'; maxLength: number; lineBreaks?: boolean };

const declared = new WeakMap<object, Bounds>();

/** The bounds an option was declared with (undefined for enums and booleans). */
export const boundsOf = (schema: unknown): Bounds | undefined =>
  schema && typeof schema === 'object' ? declared.get(schema) : undefined;

function declare<T extends z.ZodType>(schema: T, bounds: Bounds): T {
  declared.set(schema, bounds);
  return schema;
}

/** pids are positive int4 values. */
export const PID_BOUNDS = { min: 1, max: 2 ** 31 - 1 } as const;
export const MAX_BYTES = 1024 ** 5;
export const MAX_SECONDS = 365 * 86_400;
/** More digits than any bound needs: longer input is refused before it becomes a number. */
const MAX_DIGITS = 24;
const DECIMAL = new RegExp(`^([0-9]{1,${MAX_DIGITS}})(?:\\.([0-9]{1,${MAX_DIGITS}}))?$`);
const WITH_UNIT = new RegExp(`^([0-9]{1,${MAX_DIGITS}}(?:\\.[0-9]{1,${MAX_DIGITS}})?) ?([a-zA-Z]{0,4})$`);

/** "42" or "1.5" → number; anything else (0x10, 1e3, -1, ٣, Infinity, 400 digits) → undefined. */
export function parseDecimal(text: string, integer: boolean): number | undefined {
  const match = DECIMAL.exec(text);
  if (!match || (integer && match[2] !== undefined)) return undefined;
  return Number(text);
}

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
  pb: 1024 ** 5,
  p: 1024 ** 5,
};
const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 };

function withUnit(text: string, units: Record<string, number>, bare: string): number | undefined {
  const match = WITH_UNIT.exec(text);
  const factor = match ? units[(match[2] || bare).toLowerCase()] : undefined;
  return match && factor !== undefined ? Number(match[1]) * factor : undefined;
}

/** "100MB", "1.5 GB", "512kB", "0" → bytes (PostgreSQL's 1024-based units). */
export const parseSize = (text: string): number | undefined => {
  const bytes = withUnit(text, SIZE_UNITS, 'b');
  return bytes === undefined ? undefined : Math.round(bytes);
};

/** "30s", "5min", "2h", "250ms", "90" (seconds) → seconds. */
export const parseDuration = (text: string): number | undefined => withUnit(text, DURATION_UNITS, 's');

type Issue = (message: string) => typeof z.NEVER;
const issueOf =
  (ctx: z.RefinementCtx): Issue =>
  (message) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };

/** Text from the user, a number from code (a config file, a button): both checked the same way. */
const typed = z.union([z.string(), z.number()]);

function checked(value: string | number, parse: (text: string) => number | undefined): number | undefined {
  return typeof value === 'number' ? (Number.isFinite(value) ? value : undefined) : parse(value);
}

/** A whole number from min to max. */
function wholeNumber(min: number, max: number) {
  return typed.transform((value, ctx) => {
    const n = checked(value, (text) => parseDecimal(text, true));
    if (n === undefined || !Number.isInteger(n))
      return issueOf(ctx)(`use digits only, a whole number from ${min} to ${max}`);
    return n < min || n > max ? issueOf(ctx)(`it must be from ${min} to ${max}`) : n;
  });
}

/** --limit and the like: a whole number from min to max. */
export const intOption = (min: number, max: number, defaultValue: number, description: string) =>
  declare(wholeNumber(min, max).default(defaultValue).describe(description), { kind: 'count', min, max });

/** A pid, 1 to 2^31−1; a positional that may be left out (the preview then asks for one). */
export const pidOption = (description: string) =>
  declare(wholeNumber(PID_BOUNDS.min, PID_BOUNDS.max).optional().describe(description), {
    kind: 'count',
    ...PID_BOUNDS,
  });

/** An object id (report buttons pin the table or index they showed); optional. */
export const oidOption = (description: string) =>
  declare(
    wholeNumber(1, 2 ** 32 - 1)
      .optional()
      .describe(description),
    { kind: 'count', min: 1, max: 2 ** 32 - 1 },
  );

/** A decimal number from min to max, fractions allowed (--min-mean-ms). */
export function decimalOption(min: number, max: number, defaultValue: number, description: string) {
  const schema = typed.transform((value, ctx) => {
    const n = checked(value, (text) => parseDecimal(text, false));
    if (n === undefined)
      return issueOf(ctx)(`use digits only (a decimal point is fine), a number from ${min} to ${max}`);
    return n < min || n > max ? issueOf(ctx)(`it must be from ${min} to ${max}`) : n;
  });
  return declare(schema.default(defaultValue).describe(description), { kind: 'number', min, max });
}

function unitOption(
  kind: 'size' | 'duration',
  parse: (text: string) => number | undefined,
  max: number,
  display: string,
  example: string,
  defaultText: string,
  description: string,
) {
  const schema = typed
    .transform((value, ctx) => {
      const n = checked(value, parse);
      if (n === undefined)
        return issueOf(ctx)(
          `"${String(value).slice(0, 40)}" is not a ${kind}; use digits with a unit, such as ${example}`,
        );
      return n < 0 || n > max ? issueOf(ctx)(`a ${kind} can be at most ${display}`) : n;
    })
    .prefault(defaultText)
    .describe(description);
  return declare(schema, { kind, min: 0, max, display });
}

/** A size option: typed as text ("1GB"), parsed to bytes, at most 1 PB. */
export const sizeOption = (defaultText: string, description: string) =>
  unitOption('size', parseSize, MAX_BYTES, '1PB', '500MB or 2GB', defaultText, description);

/** A duration option: typed as text ("5min"), parsed to seconds, at most 365 days. */
export const durationOption = (defaultText: string, description: string) =>
  unitOption('duration', parseDuration, MAX_SECONDS, '365d', '30s, 5min or 2h', defaultText, description);

const WINDOW = /^([0-9]{1,4})(min|h|d)$/;
const WINDOW_UNITS: Record<string, number> = { min: 60, h: 3600, d: 86_400 };

/**
 * A query-history window (`--since 24h`): whole minutes, hours or days from 15min to 365d, nothing else, so a
 * typo never silently means seconds. Optional: left out, the command reads its counters as they are now.
 */
export function windowOption(description: string) {
  const example = 'a whole number with min, h or d, such as 1h, 24h or 7d';
  const schema = z
    .string()
    .transform((text, ctx) => {
      const match = WINDOW.exec(text);
      if (!match) return issueOf(ctx)(`"${text.slice(0, 40)}" is not a window; use ${example}`);
      const seconds = Number(match[1]) * WINDOW_UNITS[match[2]!]!;
      return seconds < 900 || seconds > MAX_SECONDS
        ? issueOf(ctx)(`a window is from 15min to 365d (snapshots are taken every 15 minutes); use ${example}`)
        : seconds;
    })
    .optional()
    .describe(description);
  return declare(schema, { kind: 'duration', min: 900, max: MAX_SECONDS, display: '365d' });
}

/** Free text (a name): bounded length, no control characters (a NUL byte cannot even reach PostgreSQL). */
export function textOption(maxLength: number, description: string, format?: { pattern: RegExp; example: string }) {
  const schema = z
    .string()
    .max(maxLength, `use at most ${maxLength} characters`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'use no control characters')
    .refine((text) => !format || !text || format.pattern.test(text), format ? `use the form ${format.example}` : '')
    .default('')
    .describe(description);
  return declare(schema, { kind: 'text', maxLength });
}

/**
 * A statement typed as text (`explain SELECT …`): bounded length; tabs and line breaks are allowed (SQL is
 * written over lines), other control characters are not. Whether it is one plannable statement is decided by
 * PostgreSQL's parser later (commands/explain), not here.
 */
export function statementOption(maxLength: number, description: string) {
  const schema = z
    .string()
    .max(maxLength, `use at most ${maxLength} characters`)
    .regex(
      /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/,
      'use no control characters other than tabs and line breaks',
    )
    .default('')
    .describe(description);
  return declare(schema, { kind: 'text', maxLength, lineBreaks: true });
}

/** A pg_stat_statements queryid as typed: a signed 64-bit integer in decimal digits. */
const QUERY_ID = /^-?[0-9]{1,20}$/;
const INT8 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** The queryid in canonical form, or undefined for anything else (SQL, hex, out of int8 range). */
export function asQueryId(text: string): string | undefined {
  if (!QUERY_ID.test(text)) return undefined;
  const id = BigInt(text);
  return id >= INT8.min && id <= INT8.max ? id.toString() : undefined;
}
