import type { TargetConfig } from '../config/schema.js';
import { createTargetPool, reachableByUrl, urlForDatabase } from './pools.js';

export interface DiscoveredDatabase {
  oid: number;
  name: string;
}

/**
 * The databases of the server a `discover: all-databases` target reaches that its role can use: accepting
 * connections, not a template, and CONNECT granted (directly, through a role, or to PUBLIC). One short read-only
 * connection with the target's own settings.
 */
export async function listConnectableDatabases(entry: TargetConfig): Promise<DiscoveredDatabase[]> {
  const pool = createTargetPool(entry, undefined, 1);
  try {
    const { rows } = await pool.query<{ oid: number; name: string }>(
      `SELECT oid::int8 AS oid, datname AS name FROM pg_catalog.pg_database
       WHERE datallowconn AND NOT datistemplate AND has_database_privilege(oid, 'CONNECT') ORDER BY datname`,
    );
    return rows.map((r) => ({ oid: Number(r.oid), name: r.name }));
  } finally {
    await pool.end();
  }
}

/**
 * One target per discovered database, named `<entry>/<database>`. A database name is any text (quotes, spaces,
 * newlines, `; DROP …`): a name that is not plain letters, digits, `_`, `.` and `-` gets a slug with its oid
 * (`main/drop-table-x-oid16390`), so the target name is always safe to type and to show; the database itself is
 * reached by its exact name in the connection URL (percent-encoded), never through SQL text.
 */
export function discoveredTargets(entry: TargetConfig, databases: readonly DiscoveredDatabase[]): TargetConfig[] {
  const own = databaseOf(entry.url);
  const include = (entry.include ?? []).map(globToRegExp);
  const exclude = (entry.exclude ?? []).map(globToRegExp);
  const { discover: _d, include: _i, exclude: _e, ...settings } = entry;
  return databases
    .filter((db) => db.name !== own && reachableByUrl(db.name))
    .filter((db) => !include.length || include.some((re) => re.test(db.name)))
    .filter((db) => !exclude.some((re) => re.test(db.name)))
    .map((db) => ({
      ...settings,
      name: `${entry.name}/${slugOf(db)}`,
      url: urlForDatabase(entry.url, db.name),
      // An action on this target must run in this database, never in the entry's.
      ...(entry.actionUrl ? { actionUrl: urlForDatabase(entry.actionUrl, db.name) } : {}),
    }));
}

function slugOf(db: DiscoveredDatabase): string {
  if (/^[A-Za-z0-9_.-]{1,63}$/.test(db.name)) return db.name;
  const slug = db.name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${slug ? `${slug}-` : ''}oid${db.oid}`;
}

function databaseOf(url: string): string | undefined {
  try {
    const path = new URL(url).pathname.slice(1);
    return path ? decodeURI(path) : undefined;
  } catch {
    return undefined;
  }
}

/** `*` any run of characters, `?` one; everything else literal; the whole name must match. */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}
