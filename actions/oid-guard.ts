import type { Session } from '../src/db/session.js';
import type { ActionParams, PinnedObject } from '../src/engine/command.js';
import { qualifiedName } from '../src/report/format.js';

export type { PinnedObject } from '../src/engine/command.js';

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

/** The question checkPinnedOid (src/heal) asks on the action connection, in the read-only re-check: was the pinned object dropped, or swapped for a namesake? */
export async function resolvePinned(session: Session, pinned: PinnedObject): Promise<string | null> {
  const [row] = await session.query<{ oid: string | null }>(RESOLVE_SQL, [pinned.quotedName]);
  return swapProblem(pinned, row?.oid ?? null);
}

/**
 * A report button carries the oid the table or index had when the report ran: if the name now means another
 * object (dropped and recreated between report and click), the click is refused rather than pinning the newcomer.
 */
export function offeredOidRefusal(
  kind: PinnedObject['kind'],
  label: string,
  offered: number | undefined,
  now: number | string | undefined,
): string | null {
  if (offered === undefined || now === undefined || String(now) === String(offered)) return null;
  return `Target changed: ${kind} ${label} is not the one the report showed; it was dropped and recreated since (oid ${offered} in the report, ${now} now). Run the report again.`;
}
