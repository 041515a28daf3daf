// The driver's types for code outside src/db, src/state and src/embedded, and the two quoting functions: `pg`
// itself is imported only there (docs/ARCHITECTURE.md, enforced by test/architecture/imports.test.ts). The
// quoting is written here rather than re-exported from pg so that importing it does not evaluate pg (its client,
// its Cloudflare probe and, on node 20, undici): `pgmedic --help` and every command module import these.
import { AppError } from '../errors.js';
import type { Pool } from 'pg';
export type { Pool, QueryResultRow } from 'pg';

/** Anything that runs one statement: a pool, or a client inside a transaction. */
export type Queryable = Pick<Pool, 'query'>;

/** PostgreSQL text cannot hold NUL, and the wire protocol ends a query at one: refuse it before it gets near SQL. */
function refuseNul(text: string, what: string): void {
  if (text.includes('\0'))
    throw new AppError('bad_input', `The ${what} contains a NUL character, which PostgreSQL cannot store.`, {
      hint: 'Remove it and try again.',
    });
}

/** A quoted identifier: in double quotes, each embedded double quote doubled. */
export function escapeIdentifier(name: string): string {
  refuseNul(name, 'name');
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A quoted string literal, as pg's escapeLiteral writes it: quotes doubled; when there is a backslash it is doubled
 * too and the literal takes the E'' form, so the text reads the same whatever standard_conforming_strings says.
 */
export function escapeLiteral(text: string): string {
  refuseNul(text, 'text');
  const quoted = `'${text.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  return text.includes('\\') ? ` E${quoted}` : quoted;
}
