import type {
  Counters,
  Snapshot,
  SnapshotHead,
  StatementEntry,
  StatementReading,
  StatementsUnavailable,
} from '../db/counters.js';
import { STATEMENT_COUNTERS } from '../db/counters.js';
import type { Queryable } from './requests.js';
import { inTransaction, type StatePool } from './transaction.js';

/** Array columns of pgmedic.history_statements, in the order of STATEMENT_COUNTERS. */
export const COUNTER_COLUMNS = [
  'calls',
  'total_ms',
  'rows',
  'shared_hit',
  'shared_read',
  'shared_dirtied',
  'shared_written',
  'local_hit',
  'local_read',
  'local_dirtied',
  'local_written',
  'temp_read',
  'temp_written',
] as const;

/** The queryids among `ids` whose text this target already has stored. */
export async function storedTextIds(db: Queryable, target: string, ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await db.query<{ id: string }>(
    'SELECT query_id::text AS id FROM pgmedic.history_statement_texts WHERE target = $1 AND query_id = ANY($2::bigint[])',
    [target, ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** Stores one snapshot (and texts not stored yet) in one transaction; returns its id. */
export async function writeHistorySnapshot(
  db: StatePool,
  snapshot: Snapshot,
  texts: ReadonlyMap<string, string>,
): Promise<string> {
  const statements = 'entries' in snapshot.statements ? snapshot.statements : undefined;
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO pgmedic.history_snapshots (target, taken_at, server_version_num, in_recovery, postmaster_start,
         statements_status, statements_info, databases, checkpoints, relations, replication)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id::text AS id`,
      [
        snapshot.target,
        snapshot.takenAt,
        snapshot.serverVersionNum,
        snapshot.inRecovery,
        snapshot.postmasterStart,
        statements ? 'recorded' : (snapshot.statements as StatementsUnavailable).unavailable,
        statements ? JSON.stringify(statementsInfo(statements)) : null,
        JSON.stringify(snapshot.databases),
        JSON.stringify(snapshot.checkpoints),
        JSON.stringify(snapshot.relations),
        snapshot.replication ? JSON.stringify(snapshot.replication) : null,
      ],
    );
    const id = rows[0]!.id;
    if (statements) await insertStatements(client, id, statements.entries);
    if (texts.size) await upsertTexts(client, snapshot.target, snapshot.takenAt, statements?.entries ?? [], texts);
    return id;
  });
}

const statementsInfo = (s: StatementReading) => ({
  extensionVersion: s.extensionVersion,
  statsReset: s.statsReset,
  dealloc: s.dealloc,
  others: s.others,
});

async function insertStatements(db: Queryable, id: string, entries: readonly StatementEntry[]): Promise<void> {
  const columns = ['query_ids', 'user_ids', 'db_ids', 'toplevel', 'stats_since', ...COUNTER_COLUMNS];
  const types = ['bigint', 'bigint', 'bigint', 'boolean', 'text', 'bigint', 'float8', ...Array(11).fill('bigint')];
  const values: unknown[][] = [
    entries.map((e) => e.queryId),
    entries.map((e) => e.userId),
    entries.map((e) => e.dbId),
    entries.map((e) => e.toplevel),
    entries.map((e) => e.statsSince),
    ...STATEMENT_COUNTERS.map((c) => entries.map((e) => (c === 'totalMs' ? e[c] : Math.round(e[c])))),
  ];
  await db.query(
    `INSERT INTO pgmedic.history_statements (snapshot_id, ${columns.join(', ')})
     VALUES ($1, ${columns.map((_, i) => `$${i + 2}::${types[i]}[]`).join(', ')})`,
    [id, ...values],
  );
}

/** New texts are added; a known one is marked seen at most once a day (texts unseen past the retention go). */
async function upsertTexts(
  db: Queryable,
  target: string,
  at: Date,
  entries: readonly StatementEntry[],
  texts: ReadonlyMap<string, string>,
): Promise<void> {
  const ids = [...texts.keys()];
  await db.query(
    `INSERT INTO pgmedic.history_statement_texts (target, query_id, query, last_seen)
     SELECT $1, t.id, t.query, $4 FROM unnest($2::bigint[], $3::text[]) AS t(id, query)
     ON CONFLICT (target, query_id) DO NOTHING`,
    [target, ids, ids.map((id) => texts.get(id)!), at],
  );
  const seen = [...new Set(entries.map((e) => e.queryId))];
  await db.query(
    `UPDATE pgmedic.history_statement_texts SET last_seen = $3
     WHERE target = $1 AND query_id = ANY($2::bigint[]) AND last_seen < $3::timestamptz - interval '1 day'`,
    [target, seen, at],
  );
}

/**
 * The snapshot a window that starts at `at` begins with: the newest taken at or before it, else the oldest
 * there is (`coversWindow: false`); undefined when the target has none.
 */
export async function findBaseline(
  db: Queryable,
  target: string,
  at: Date,
  withStatements = false,
): Promise<SnapshotHead | undefined> {
  const only = withStatements ? "AND statements_status = 'recorded'" : '';
  const { rows } = await db.query<{ id: string; taken_at: Date; covers: boolean }>(
    `(SELECT id::text AS id, taken_at, true AS covers FROM pgmedic.history_snapshots
      WHERE target = $1 AND taken_at <= $2 ${only} ORDER BY taken_at DESC LIMIT 1)
     UNION ALL
     (SELECT id::text, taken_at, false FROM pgmedic.history_snapshots WHERE target = $1 ${only} ORDER BY taken_at LIMIT 1)`,
    [target, at],
  );
  const row = rows[0];
  return row ? { id: row.id, takenAt: row.taken_at, coversWindow: row.covers } : undefined;
}

export interface StoredSnapshotRow {
  target: string;
  taken_at: Date;
  server_version_num: number;
  in_recovery: boolean;
  postmaster_start: string;
  statements_status: 'recorded' | 'not-installed' | 'not-preloaded';
  statements_info: Omit<StatementReading, 'entries'> | null;
  databases: Snapshot['databases'];
  checkpoints: Snapshot['checkpoints'];
  relations: Snapshot['relations'];
  replication: Snapshot['replication'];
}

export type ArrayRow = Record<string, (string | number | boolean | null)[]>;

/** One stored snapshot in full, statement texts aside (textsOf). */
export async function readHistorySnapshot(db: Queryable, id: string): Promise<Snapshot | undefined> {
  const { rows } = await db.query<StoredSnapshotRow>('SELECT * FROM pgmedic.history_snapshots WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) return undefined;
  if (row.statements_status !== 'recorded' || !row.statements_info) return snapshotOf(row);
  const { rows: arrays } = await db.query<ArrayRow>('SELECT * FROM pgmedic.history_statements WHERE snapshot_id = $1', [
    id,
  ]);
  return snapshotOf(row, arrays[0]);
}

/** A stored row as a Snapshot; `arrays`: its pg_stat_statements row, when read. */
export function snapshotOf(row: StoredSnapshotRow, arrays?: ArrayRow): Snapshot {
  let statements: Snapshot['statements'];
  if (row.statements_status !== 'recorded' || !row.statements_info)
    statements = { unavailable: row.statements_status === 'recorded' ? 'not-installed' : row.statements_status };
  else statements = { ...row.statements_info, entries: arrays?.query_ids ? entriesOf(arrays) : [] };
  return {
    target: row.target,
    takenAt: row.taken_at,
    serverVersionNum: row.server_version_num,
    inRecovery: row.in_recovery,
    postmasterStart: row.postmaster_start,
    statements,
    databases: row.databases,
    checkpoints: row.checkpoints,
    relations: row.relations,
    replication: row.replication,
  };
}

function entriesOf(row: ArrayRow): StatementEntry[] {
  const ids = row.query_ids ?? [];
  return ids.map((queryId, i) => {
    const counters = {} as Counters;
    for (const [k, c] of STATEMENT_COUNTERS.entries()) counters[c] = Number(row[COUNTER_COLUMNS[k]!]![i] ?? 0);
    return {
      queryId: String(queryId),
      userId: String(row.user_ids![i]),
      dbId: String(row.db_ids![i]),
      toplevel: (row.toplevel![i] ?? null) as boolean | null,
      statsSince: (row.stats_since![i] ?? null) as string | null,
      ...counters,
    };
  });
}

/** Stored texts of these queryids. */
export async function textsOf(db: Queryable, target: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const { rows } = await db.query<{ id: string; query: string }>(
    'SELECT query_id::text AS id, query FROM pgmedic.history_statement_texts WHERE target = $1 AND query_id = ANY($2::bigint[])',
    [target, ids],
  );
  return new Map(rows.map((r) => [r.id, r.query]));
}
