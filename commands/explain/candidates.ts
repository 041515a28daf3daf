import { loadedParser, loadParser } from '../../src/redact/parser.js';

/** An index worth trying hypothetically: columns of one table, in index order. */
export interface Candidate {
  schema: string;
  table: string;
  columns: string[];
}

/** Each candidate costs one EXPLAIN; a statement over many tables stops here. */
export const MAX_CANDIDATES = 10;
const MAX_COLUMNS = 3;

interface RawNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  Filter?: string;
  'Join Filter'?: string;
  'Hash Cond'?: string;
  'Merge Cond'?: string;
  'Index Cond'?: string;
  'Sort Key'?: string[];
  Plans?: RawNode[];
}

interface Uses {
  schema: string;
  table: string;
  seqScan: boolean;
  equal: string[];
  other: string[];
  join: string[];
  sort: string[];
}

/**
 * Candidate indexes read from an EXPLAIN (VERBOSE, FORMAT JSON) plan: for each table scanned sequentially or
 * filtered after its scan, its filter columns (equalities first), each of them alone, its join columns, and its
 * filter columns followed by the sort keys. VERBOSE qualifies every column with its scan's alias, which names the table.
 */
export async function indexCandidates(explainOutput: unknown): Promise<Candidate[]> {
  const top = (explainOutput as { Plan?: RawNode }[] | undefined)?.[0]?.Plan;
  if (!top) return [];
  await loadParser();
  const nodes: RawNode[] = [];
  const walk = (node: RawNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(top);
  const byAlias = aliases(nodes);
  const use = (alias: string | undefined) => (alias ? byAlias.get(alias) : undefined);
  for (const node of nodes) {
    const own = use(node.Alias);
    if (own && node['Node Type'] === 'Seq Scan') own.seqScan = true;
    for (const ref of columnRefs(node.Filter)) {
      if (ref.alias !== node.Alias) continue;
      own?.[ref.equality ? 'equal' : 'other'].push(ref.column);
    }
    const joins = [node['Hash Cond'], node['Merge Cond'], node['Join Filter'], node['Index Cond']];
    for (const ref of joins.flatMap(columnRefs)) if (ref.alias !== node.Alias) use(ref.alias)?.join.push(ref.column);
    for (const key of node['Sort Key'] ?? []) {
      const ref = sortColumn(key);
      if (ref) use(ref.alias)?.sort.push(ref.column);
    }
  }
  const seen = new Set<string>();
  return [...new Set(byAlias.values())]
    .filter((u) => u.seqScan || u.equal.length || u.other.length)
    .flatMap((u) => {
      const filter = unique([...u.equal, ...u.other]);
      const sets = [
        filter,
        ...(filter.length > 1 ? filter.map((c) => [c]) : []),
        ...unique(u.join).map((c) => [c]),
        ...(u.sort.length ? [unique([...unique(u.equal), ...u.sort])] : []),
      ];
      return sets.map((columns) => ({ schema: u.schema, table: u.table, columns: columns.slice(0, MAX_COLUMNS) }));
    })
    .filter((c) => {
      const key = JSON.stringify(c);
      if (!c.columns.length || seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, MAX_CANDIDATES);
}

/** alias → the table its scan reads; an alias used for two different tables is left out (we could not tell them apart). */
function aliases(nodes: RawNode[]): Map<string, Uses> {
  const map = new Map<string, Uses>();
  const ambiguous = new Set<string>();
  for (const node of nodes) {
    const { Alias: alias, Schema: schema, 'Relation Name': table } = node;
    if (!alias || !schema || !table) continue;
    const known = map.get(alias);
    if (known && (known.schema !== schema || known.table !== table)) ambiguous.add(alias);
    else if (!known) map.set(alias, { schema, table, seqScan: false, equal: [], other: [], join: [], sort: [] });
  }
  for (const alias of ambiguous) map.delete(alias);
  return map;
}

interface Operation {
  kind?: string;
  name?: { String?: { sval?: string } }[];
  lexpr?: unknown;
  rexpr?: unknown;
}

interface ColumnRef {
  alias: string;
  column: string;
  /** Compared with `=` directly (`col = …`), which leads an index best. */
  equality: boolean;
}

/** Plan expressions name subplans in ways SQL does not parse; they stand in for a value, so NULL does too. */
const SUBPLANS = /\((?:hashed )?SubPlan \d+\)|\(InitPlan \d+(?: \(returns [^)]*\))?\)(?:\.col\d+)?|\$\d+(?=\W|$)/g;

function columnRefs(expression: string | undefined): ColumnRef[] {
  if (!expression) return [];
  const where = parseSelect(`SELECT 1 WHERE ${expression.replace(SUBPLANS, 'NULL')}`)?.whereClause;
  const refs: ColumnRef[] = [];
  const visit = (value: unknown, equality = false): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as { ColumnRef?: unknown; A_Expr?: Operation };
    const ref = qualified(node.ColumnRef);
    if (ref) return void refs.push({ ...ref, equality });
    if (node.A_Expr) {
      const isEqual = node.A_Expr.kind === 'AEXPR_OP' && node.A_Expr.name?.[0]?.String?.sval === '=';
      visit(node.A_Expr.lexpr, isEqual);
      return visit(node.A_Expr.rexpr, isEqual);
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(where);
  return refs;
}

/** A sort key that is a plain column (`o.customer DESC`); expressions are left to the reader. */
function sortColumn(key: string): Omit<ColumnRef, 'equality'> | undefined {
  const sortBy = parseSelect(`SELECT 1 ORDER BY ${key}`)?.sortClause?.[0]?.SortBy;
  return qualified((sortBy?.node as { ColumnRef?: unknown } | undefined)?.ColumnRef);
}

function qualified(ref: unknown): Omit<ColumnRef, 'equality'> | undefined {
  const fields = (ref as { fields?: { String?: { sval?: string } }[] } | undefined)?.fields;
  const [alias, column] = fields?.map((f) => f.String?.sval) ?? [];
  return fields?.length === 2 && alias && column ? { alias, column } : undefined;
}

interface ParsedSelect {
  whereClause?: unknown;
  sortClause?: { SortBy?: { node?: unknown } }[];
}

function parseSelect(sql: string): ParsedSelect | undefined {
  try {
    const parsed = loadedParser()!.parseSync(sql) as { stmts: { stmt: { SelectStmt?: ParsedSelect } }[] };
    return parsed.stmts.length === 1 ? parsed.stmts[0]!.stmt.SelectStmt : undefined;
  } catch {
    return undefined; // an expression only EXPLAIN prints: no candidate from it
  }
}

const unique = (values: string[]) => [...new Set(values)];
