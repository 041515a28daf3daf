/**
 * Coded errors: raised where they happen, turned into words at one boundary per surface
 * (describeError below). Commands never catch to report.
 */
export type ErrorCode =
  | 'unknown_command'
  | 'unknown_target'
  | 'bad_option'
  | 'bad_input'
  | 'config_invalid'
  | 'target_unreachable'
  | 'timeout'
  | 'lock_timeout'
  | 'permission_denied'
  | 'extension_missing'
  | 'not_supported'
  | 'sql_error'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** What the user should try next, in one sentence. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The user-facing sentence(s) for any error: the one place errors become words. */
export function describeError(error: unknown): { code: ErrorCode; text: string } {
  if (isAppError(error)) {
    return { code: error.code, text: error.hint ? `${error.message} ${error.hint}` : error.message };
  }
  return {
    code: 'internal',
    text: `Something went wrong inside pgmedic (${withoutAddresses(error instanceof Error ? error.message : String(error))}). The details are in the bot's log.`,
  };
}

/**
 * What a user may read of a server or driver message: no host names, addresses or ports (those stay in the
 * log, with the error itself). Slack channels are wider than the people who run the database.
 */
export function withoutAddresses(message: string): string {
  return message
    .replace(/\b(host|hostaddr|address)\s+"[^"]*"/gi, '$1 "…"')
    .replace(/\[[0-9a-f:.]+\](?::\d+)?/gi, '<address>')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '<address>')
    .replace(/\b(?:[0-9a-f]{1,4}:){5,7}[0-9a-f]{1,4}\b/gi, '<address>')
    .replace(/\b[a-z0-9-]+(?:\.[a-z0-9-]+)+:\d{2,5}\b/gi, '<address>')
    .replace(/(socket|file)\s+"[^"]*"/gi, '$1 "…"');
}

// "Did you mean …?" for a hint: here, at the bottom, so every room that raises an error may use it (src/db too).
const MAX_INPUT = 64;

/** The closest valid choice to what the user typed, for "did you mean" hints. */
export function closestMatch(input: string, choices: readonly string[]): string | undefined {
  // Names are short: a long input is near none of them, and its edit distance would cost O(length × choice).
  if (input.length > MAX_INPUT) return undefined;
  let best: { choice: string; distance: number } | undefined;
  for (const choice of choices) {
    const distance = editDistance(input.toLowerCase(), choice.toLowerCase());
    if (!best || distance < best.distance) best = { choice, distance };
  }
  if (!best) return undefined;
  const tolerance = Math.max(2, Math.floor(best.choice.length / 3));
  const isPrefix = best.choice.startsWith(input.toLowerCase()) && input.length >= 2;
  return best.distance <= tolerance || isPrefix ? best.choice : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** "Did you mean `x`?" or a list of the valid choices. */
export function suggestion(input: string, choices: readonly string[], quote = (s: string) => `\`${s}\``): string {
  const near = closestMatch(input, choices);
  if (near) return `Did you mean ${quote(near)}?`;
  return `Valid choices: ${choices.map(quote).join(', ')}.`;
}
