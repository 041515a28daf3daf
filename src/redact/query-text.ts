import { loadedParser } from './parser.js';
import type { QueryTextMode } from './modes.js';
import { scanConservatively, tokenize, type Token } from './sql-tokens.js';

/**
 * Query text from the server (pg_stat_activity.query, pg_stat_statements.query) carries whatever the client sent:
 * customer data in literals, and passwords (`ALTER ROLE … PASSWORD '…'`). This module is the one place it is made
 * fit to leave pgmedic:
 * - `full`: as sent, except password literals (never shown anywhere);
 * - `redacted` (default): every literal (strings, numbers, dollar-quoted, E'', B'', X'', U&'') becomes a `$n`
 *   placeholder and comments are dropped;
 * - `hidden`: no text at all.
 * Where the text does not scan (cut at track_activity_query_size inside a quote), everything from the unclosed
 * quote on is dropped.
 */
export { DEFAULT_QUERY_TEXT_MODE, QUERY_TEXT_MODES, type QueryTextMode } from './modes.js';

export const HIDDEN_QUERY = '(query text hidden)';
const PASSWORD_MASK = "'***'";
const CUT = '…';

export function showQueryText(text: string, mode: QueryTextMode): string {
  if (mode === 'hidden') return text ? HIDDEN_QUERY : '';
  return mode === 'full' ? withoutPasswords(text) : withoutLiterals(text);
}

/** Password literals masked; the rest as sent. */
export function withoutPasswords(text: string): string {
  // Nothing to look for without the word (the scanner is the costly part): most texts leave here.
  if (!PASSWORDISH.test(text)) return text;
  const tokens = tokenize(text);
  return rebuild(text, tokens, (token, index) => {
    if (token.kind === 'unterminated') return CUT;
    if (token.kind === 'comment') return PASSWORDISH.test(token.text) ? '/* … */' : token.text;
    if (token.kind !== 'string') return token.text;
    return secretContext(tokens, index) || PASSWORDISH.test(token.text) ? PASSWORD_MASK : token.text;
  });
}

/** Every literal a placeholder, comments gone; the parser's own normalisation where the text parses. */
export function withoutLiterals(text: string): string {
  const parsed = parses(text);
  const normalized = parsed ? loadedParser()!.normalizeSync(text) : text;
  // The parser replaced every literal; only comments can be left, and without any the text is done.
  if (parsed && !/--|\/\*/.test(normalized)) return normalized.trim();
  const tokens = scanConservatively(normalized);
  let next = Math.max(0, ...tokens.filter((t) => t.kind === 'param').map((t) => Number(t.text.slice(1)) || 0)) + 1;
  return rebuild(normalized, tokens, (token) => {
    if (token.kind === 'string' || token.kind === 'number') return `$${next++}`;
    if (token.kind === 'comment') return '';
    if (token.kind === 'unterminated') return CUT;
    return token.text;
  })
    .replace(/[ \t]+\n/g, '\n')
    .trim();
}

function parses(text: string): boolean {
  const parser = loadedParser();
  if (!parser) return false;
  try {
    parser.parseSync(text);
    return true;
  } catch {
    return false;
  }
}

const PASSWORDISH = /passw(?:or)?d|pwd/i;
const ASSIGNMENT = /^(?:=|:|:=|=>|>)$/;

/** The literal at `index` follows PASSWORD (or `password =`, `pwd =>` …), comments skipped. */
function secretContext(tokens: Token[], index: number): boolean {
  const before: Token[] = [];
  for (let i = index - 1; i >= 0 && before.length < 3; i--) if (tokens[i]!.kind !== 'comment') before.push(tokens[i]!);
  const isKey = (t: Token | undefined) =>
    t !== undefined && (t.kind === 'word' || t.kind === 'other') && /^"?(?:password|passwd|pwd)"?$/i.test(t.text);
  if (isKey(before[0])) return true;
  const operators = before.findIndex((t) => !ASSIGNMENT.test(t.text));
  return operators > 0 && isKey(before[operators]);
}

/** The text again with each token replaced; what lies between tokens (whitespace) kept. */
function rebuild(text: string, tokens: Token[], replace: (token: Token, index: number) => string): string {
  let out = '';
  let at = 0;
  for (const [index, token] of tokens.entries()) {
    out += text.slice(at, token.start) + replace(token, index);
    at = token.end;
    if (token.kind === 'unterminated') return out;
  }
  return out + text.slice(at);
}
