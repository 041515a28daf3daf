import type pg from 'pg';
import { tagSql } from '../db/sql.js';
import type { Session } from '../db/session.js';
import type { ActionParams } from '../engine/command.js';
import { qualifiedName } from '../report/format.js';

/** A table or index as pinned when the request was made: its quoted name and the oid it had then. */
export interface PinnedObject {
  kind: 'table' | 'index';
  /** "schema"."name", quoted as the catalog spells it: what the statement names. */
  quotedName: string;
  oid: string;
  /** For messages: schema.name, quoted only where needed. */
  label: string;
}

/**
 * to_regclass raises, before 16, on text that is no relation name at all (a.b.c.d, "unterminated, otherdb.s.t):
 * for a typed name that means "there is no such table", not an error.
 */
export function unresolvableName(error: unknown): boolean {
  return ['42601', '42602', '0A000'].includes((error as { code?: string }).code ?? '');
}

/** What the statement's name resolves to right now (to_regclass: NULL when nothing has that name). */
export const RESOLVE_SQL = 'SELECT to_regclass($1)::oid::int8::text AS oid';

export const pinnedObject = (kind: PinnedObject['kind'], params: ActionParams, quotedName: string): PinnedObject => ({
  kind,
  quotedName,
  oid: params.oid ?? '',
  label: qualifiedName(params.schema ?? '', params[kind] ?? ''),
});

/** Why the name no longer means the pinned object (dropped, or dropped and recreated), or null. */
export function swapProblem(pinned: PinnedObject, nowOid: string | null): string | null {
  if (nowOid === pinned.oid) return null;
  if (nowOid === null) return `Target changed: ${pinned.kind} ${pinned.label} no longer exists. Nothing ran.`;
  return `Target changed: ${pinned.kind} ${pinned.label} was dropped and recreated with the same name since the request (oid ${pinned.oid} then, ${nowOid} now). Nothing ran.`;
}

/**
 * Run on the action connection immediately before the statement, in the same session: VACUUM and the
 * CONCURRENTLY commands cannot run inside a transaction block, so this check and the statement are two
 * statements, and a swap in between (microseconds) is the window that remains (README).
 */
export async function checkPinnedOid(client: pg.Client, command: string, pinned: PinnedObject): Promise<string | null> {
  const { rows } = await client.query<{ oid: string | null }>(tagSql(`${command}:guard`, RESOLVE_SQL), [pinned.quotedName]);
  return swapProblem(pinned, rows[0]?.oid ?? null);
}

/** The same question in the read-only re-check: was the pinned object dropped, or swapped for a namesake? */
export async function resolvePinned(session: Session, pinned: PinnedObject): Promise<string | null> {
  const [row] = await session.query<{ oid: string | null }>(RESOLVE_SQL, [pinned.quotedName]);
  return swapProblem(pinned, row?.oid ?? null);
}

/**
 * A report button carries the oid the table or index had when the report ran: if the name now means another
 * object (dropped and recreated between report and click), the click is refused rather than pinning the newcomer.
 */
export function offeredOidRefusal(kind: PinnedObject['kind'], label: string, offered: number | undefined, now: number | string | undefined): string | null {
  if (offered === undefined || now === undefined || String(now) === String(offered)) return null;
  return `Target changed: ${kind} ${label} is not the one the report showed; it was dropped and recreated since (oid ${offered} in the report, ${now} now). Run the report again.`;
}
