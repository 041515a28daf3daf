import { formatCount as count } from '../../report/format.js';

/**
 * EXPLAIN (FORMAT JSON) output flattened into nodes, and one node as EXPLAIN's text format prints it: shared by
 * the explain diagnostic (estimates) and the explain-analyze action (actual rows and timing).
 */

export interface PlanNode {
  depth: number;
  /** EXPLAIN's "Node Type" (Aggregate, Hash Join, …). */
  nodeType: string;
  /** As EXPLAIN's text format names it: HashAggregate, Hash Left Join, Partial GroupAggregate, … */
  label: string;
  /** schema.table when the node reads one. */
  relation: string | null;
  index: string | null;
  startupCost: number;
  totalCost: number;
  planRows: number;
  planWidth: number;
  /** Outer, Inner, SubPlan, InitPlan, … (null for the top node). */
  parentRelationship: string | null;
  /** Own cost: the node's total less its children's. */
  selfCost: number;
  /** Only from EXPLAIN ANALYZE: per loop, as EXPLAIN reports them (times in milliseconds). */
  actual?: { startupMs: number; totalMs: number; rows: number; loops: number };
}

interface RawNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  'Index Name'?: string;
  'Startup Cost': number;
  'Total Cost': number;
  'Plan Rows': number;
  'Plan Width': number;
  'Parent Relationship'?: string;
  'Join Type'?: string;
  Strategy?: string;
  'Partial Mode'?: string;
  'Actual Startup Time'?: number;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: RawNode[];
}

const STRATEGY: Record<string, string> = { Sorted: 'Group', Hashed: 'Hash', Mixed: 'Mixed' };

/** The name EXPLAIN's text format prints for a node (explain.c): strategy and join type folded in. */
function labelOf(raw: RawNode): string {
  const type = raw['Node Type'];
  const partial = raw['Partial Mode'] && raw['Partial Mode'] !== 'Simple' ? `${raw['Partial Mode']} ` : '';
  if (type === 'Aggregate') return `${partial}${STRATEGY[raw.Strategy ?? ''] ?? ''}Aggregate`;
  const join = raw['Join Type'];
  if (join && join !== 'Inner' && type.endsWith('Join')) return `${type.slice(0, -'Join'.length)}${join} Join`;
  if (join && join !== 'Inner' && type === 'Nested Loop') return `Nested Loop ${join} Join`;
  return type;
}

/** Depth-first, parents before children, as EXPLAIN prints them. */
export function flattenPlan(explainOutput: unknown): PlanNode[] {
  const top = (explainOutput as { Plan?: RawNode }[] | undefined)?.[0]?.Plan;
  const nodes: PlanNode[] = [];
  const visit = (raw: RawNode, depth: number) => {
    const children = raw.Plans ?? [];
    const childCost = children
      .filter((c) => c['Parent Relationship'] !== 'InitPlan')
      .reduce((sum, c) => sum + c['Total Cost'], 0);
    nodes.push({
      depth,
      nodeType: raw['Node Type'],
      label: labelOf(raw),
      relation: raw['Relation Name'] ? `${raw.Schema ? `${raw.Schema}.` : ''}${raw['Relation Name']}` : null,
      index: raw['Index Name'] ?? null,
      startupCost: raw['Startup Cost'],
      totalCost: raw['Total Cost'],
      planRows: raw['Plan Rows'],
      planWidth: raw['Plan Width'],
      parentRelationship: raw['Parent Relationship'] ?? null,
      selfCost: Math.max(0, raw['Total Cost'] - childCost),
      ...actualOf(raw),
    });
    for (const child of children) visit(child, depth + 1);
  };
  if (top) visit(top, 0);
  return nodes;
}

/** Relations read by the plan, for their pg_class figures. */
export const relationsOf = (nodes: PlanNode[]): string[] => [
  ...new Set(nodes.flatMap((n) => (n.relation ? [n.relation] : []))),
];

/** EXPLAIN ANALYZE's figures; a node that never ran has Actual Loops 0 (and no times in some versions). */
function actualOf(raw: RawNode): Pick<PlanNode, 'actual'> {
  if (raw['Actual Loops'] === undefined) return {};
  return {
    actual: {
      startupMs: raw['Actual Startup Time'] ?? 0,
      totalMs: raw['Actual Total Time'] ?? 0,
      rows: raw['Actual Rows'] ?? 0,
      loops: raw['Actual Loops'],
    },
  };
}

/** One plan node the way EXPLAIN prints it, indented by depth, with the actual figures when it ran. */
export function treeLine(node: PlanNode): string {
  const indent = node.depth ? `${'    '.repeat(node.depth - 1)}  -> ` : '';
  const using = node.index ? ` using ${node.index}` : '';
  const on = node.relation ? ` on ${node.relation}` : '';
  const estimate = `(cost=${fixed(node.startupCost)}..${fixed(node.totalCost)} rows=${count(node.planRows)} width=${node.planWidth})`;
  const a = node.actual;
  const actual = !a
    ? ''
    : a.loops === 0
      ? ' (never executed)'
      : ` (actual time=${a.startupMs.toFixed(3)}..${a.totalMs.toFixed(3)} rows=${count(a.rows)} loops=${count(a.loops)})`;
  return `${indent}${node.label}${using}${on}  ${estimate}${actual}`;
}

const fixed = (value: number) => value.toFixed(2);
