import { escapeIdentifier } from '../../src/db/driver.js';
import type { Session } from '../../src/db/session.js';
import type { Candidate } from './candidates.js';
import { flattenPlan } from '../../src/engine/explain/plan-tree.js';

export interface IndexSuggestion {
  advice: 'index-suggestion';
  relation: string;
  columns: string[];
  /** The statement's estimated total cost as planned, and with this index existing hypothetically. */
  costBefore: number;
  costAfter: number;
  /** What to run to build it for real (CONCURRENTLY: no write lock on the table while it builds). */
  definition: string;
}

export const HYPOPG_SCHEMA_SQL = `SELECT n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'`;

/** The schema hypopg is installed in, in the database the session is connected to; null without it. */
export async function hypopgSchema(session: Session): Promise<string | null> {
  const [row] = await session.query<{ schema: string }>(HYPOPG_SCHEMA_SQL);
  return row?.schema ?? null;
}

/**
 * Tries each candidate as a hypothetical index (hypopg: backend memory only, nothing written, so the read-only
 * session allows it), plans `explainSql` again, and keeps, per table, the cheapest candidate the planner used
 * that lowers the cost. Hypothetical indexes are removed after every candidate, error or not: the session's
 * connection goes back to the pool, and the next plan made on it must not see them.
 */
export async function suggestIndexes(
  session: Session,
  schema: string,
  explainSql: string,
  costBefore: number,
  candidates: Candidate[],
): Promise<IndexSuggestion[]> {
  const hypopg = escapeIdentifier(schema);
  const best = new Map<string, IndexSuggestion>();
  for (const candidate of candidates) {
    const relation = `${candidate.schema}.${candidate.table}`;
    const columns = candidate.columns.map(escapeIdentifier).join(', ');
    const target = `${escapeIdentifier(candidate.schema)}.${escapeIdentifier(candidate.table)}`;
    let costAfter: number | undefined;
    try {
      const [made] = await session.query<{ indexname: string }>(
        `SELECT indexname FROM ${hypopg}.hypopg_create_index($1)`,
        [`CREATE INDEX ON ${target} (${columns})`],
      );
      const [row] = await session.query<{ 'QUERY PLAN': unknown }>(explainSql);
      const nodes = flattenPlan(row?.['QUERY PLAN']);
      if (made && nodes.some((n) => n.index === made.indexname)) costAfter = nodes[0]?.totalCost;
    } catch (error) {
      // The server refused this one (a column type without a btree operator class, the timeout): try the next.
      if (typeof (error as { code?: unknown }).code !== 'string') throw error;
    } finally {
      await reset(session, hypopg);
    }
    const known = best.get(relation);
    if (costAfter === undefined || costAfter >= costBefore || (known && !betterThan(costAfter, candidate, known)))
      continue;
    best.set(relation, {
      advice: 'index-suggestion',
      relation,
      columns: candidate.columns,
      costBefore,
      costAfter,
      definition: `CREATE INDEX CONCURRENTLY ON ${target} (${columns})`,
    });
  }
  return [...best.values()].sort((a, b) => a.costAfter - b.costAfter);
}

/** Cheaper wins; at the same cost, fewer columns (a smaller index to keep up). */
const betterThan = (cost: number, candidate: Candidate, known: IndexSuggestion) =>
  cost < known.costAfter || (cost === known.costAfter && candidate.columns.length < known.columns.length);

/** A reset that fails leaves hypothetical indexes on the connection: a plain Error makes the pool discard it. */
async function reset(session: Session, hypopg: string): Promise<void> {
  try {
    await session.query(`SELECT ${hypopg}.hypopg_reset()`);
  } catch (error) {
    throw new Error(`hypothetical indexes could not be removed (${(error as Error).message}); connection dropped`);
  }
}
