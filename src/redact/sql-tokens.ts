import { loadedParser } from './parser.js';

/**
 * SQL text as tokens, for finding literals and comments. PostgreSQL's own scanner (libpg_query) where the text
 * scans; otherwise (texts cut at track_activity_query_size end inside a quote or comment) a conservative scanner
 * of our own whose `unterminated` token covers everything from the unclosed quote or comment to the end.
 */
export type TokenKind = 'string' | 'number' | 'comment' | 'word' | 'param' | 'other' | 'unterminated';

export interface Token {
  kind: TokenKind;
  /** Character offsets into the text. */
  start: number;
  end: number;
  text: string;
}

const KIND_BY_NAME: Record<string, TokenKind> = {
  SCONST: 'string',
  USCONST: 'string',
  BCONST: 'string',
  XCONST: 'string',
  ICONST: 'number',
  FCONST: 'number',
  PARAM: 'param',
  C_COMMENT: 'comment',
  SQL_COMMENT: 'comment',
  IDENT: 'word',
  UIDENT: 'word',
};

export function tokenize(text: string): Token[] {
  return postgresTokens(text) ?? scanConservatively(text);
}

function postgresTokens(text: string): Token[] | undefined {
  const parser = loadedParser();
  if (!parser) return undefined;
  let scanned: { tokens?: { start: number; end: number; tokenName: string; keywordKind: number }[] };
  try {
    scanned = parser.scanSync(text) as typeof scanned;
  } catch {
    return undefined;
  }
  if (!Array.isArray(scanned.tokens)) return undefined;
  // libpg_query counts bytes of UTF-8; the rest of pgmedic counts characters (UTF-16 units).
  const chars = byteToCharOffsets(text);
  return scanned.tokens.map((t) => {
    const start = chars(t.start);
    const end = chars(t.end);
    const kind = KIND_BY_NAME[t.tokenName] ?? (t.keywordKind > 0 ? 'word' : kindByText(text.slice(start, end)));
    return { kind, start, end, text: text.slice(start, end) };
  });
}

/** libpg_query names some tokens UNKNOWN (U&'' strings among them): their text says what they are. */
function kindByText(text: string): TokenKind {
  if (/^(?:[eEbBxXnN]|[uU]&)?'/.test(text) || text.startsWith('$')) return /^\$\d+$/.test(text) ? 'param' : 'string';
  if (/^[\d.]/.test(text)) return 'number';
  if (text.startsWith('--') || text.startsWith('/*')) return 'comment';
  return WORD_START.test(text[0] ?? '') || text.startsWith('"') ? 'word' : 'other';
}

/** offsets[byte] = the character offset where that byte's character starts (identity for ASCII text). */
function byteToCharOffsets(text: string): (offset: number) => number {
  if (Buffer.byteLength(text, 'utf8') === text.length) return (offset) => offset;
  const offsets: number[] = [];
  let chars = 0;
  for (const ch of text) {
    const width = Buffer.byteLength(ch, 'utf8');
    for (let b = 0; b < width; b++) offsets.push(chars);
    chars += ch.length;
  }
  offsets.push(chars);
  return (offset) => offsets[offset] ?? chars;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const NUMBER = /^(?:0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** Our own scanner: standard_conforming_strings semantics (PostgreSQL's default), and any doubt ends the text. */
export function scanConservatively(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    tokens.push({ kind, start: i, end, text: text.slice(i, end) });
    i = end;
  };
  while (i < text.length) {
    const rest = text.slice(i);
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (rest.startsWith('--')) {
      const newline = text.indexOf('\n', i);
      push('comment', newline === -1 ? text.length : newline);
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = blockCommentEnd(text, i);
      push(end === -1 ? 'unterminated' : 'comment', end === -1 ? text.length : end);
      continue;
    }
    const prefix = /^(?:[eE]|[bB]|[xX]|[nN]|[uU]&)'/.exec(rest)?.[0];
    if (prefix || c === "'") {
      const open = i + (prefix ? prefix.length - 1 : 0);
      const end = quoteEnd(text, open, "'", prefix?.[0]?.toLowerCase() === 'e');
      push(end === -1 ? 'unterminated' : 'string', end === -1 ? text.length : end);
      continue;
    }
    if (c === '"') {
      const end = quoteEnd(text, i, '"', false);
      push(end === -1 ? 'unterminated' : 'word', end === -1 ? text.length : end);
      continue;
    }
    if (c === '$') {
      const param = /^\$\d+/.exec(rest);
      if (param) {
        push('param', i + param[0].length);
        continue;
      }
      const tag = DOLLAR_TAG.exec(rest)?.[0];
      if (tag) {
        const close = text.indexOf(tag, i + tag.length);
        push(close === -1 ? 'unterminated' : 'string', close === -1 ? text.length : close + tag.length);
        continue;
      }
    }
    const number = /[\d.]/.test(c) ? NUMBER.exec(rest)?.[0] : undefined;
    if (number) {
      push('number', i + number.length);
      continue;
    }
    if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < text.length && WORD_CHAR.test(text[end]!)) end++;
      push('word', end);
      continue;
    }
    push('other', i + 1);
  }
  return tokens;
}

/** Index after the closing quote, or -1. Doubled quotes stay inside; in E'' strings a backslash escapes. */
function quoteEnd(text: string, open: number, quote: string, backslashEscapes: boolean): number {
  for (let j = open + 1; j < text.length; j++) {
    const ch = text[j];
    if (backslashEscapes && ch === '\\') {
      j++;
      continue;
    }
    if (ch !== quote) continue;
    if (text[j + 1] === quote) {
      j++;
      continue;
    }
    return j + 1;
  }
  return -1;
}

/** Block comments nest in PostgreSQL. */
function blockCommentEnd(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length - 1; j++) {
    if (text[j] === '/' && text[j + 1] === '*') {
      depth++;
      j++;
    } else if (text[j] === '*' && text[j + 1] === '/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}
