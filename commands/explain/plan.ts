/** EXPLAIN (FORMAT JSON) output, flattened into nodes, and the advice read from them. */
import type { PlanNode } from '../../src/engine/explain/plan-tree.js';
import type { IndexSuggestion } from './hypopg.js';

export { flattenPlan, relationsOf, type PlanNode } from '../../src/engine/explain/plan-tree.js';

export interface TableFacts {
  relation: string;
  bytes: number;
  /** pg_class.reltuples; -1 when never vacuumed or analyzed. */
  rows: number;
}

export type Advice =
  | {
      advice: 'costliest-node';
      nodeIndex: number;
      nodeType: string;
      relation: string | null;
      selfCost: number;
      share: number;
    }
  | { advice: 'seq-scan-large'; relation: string; bytes: number; rows: number }
  | { advice: 'spill-risk'; nodeType: string; relation: string | null; estimatedBytes: number; memoryBytes: number }
  | { advice: 'nested-loop-large'; outerRows: number; relation: string | null }
  | IndexSuggestion
  | { advice: 'hypopg-missing' };

/** A table is large from either figure; a nested loop is worrying from this many outer rows. */
export const LARGE_TABLE_ROWS = 100_000;
export const LARGE_TABLE_BYTES = 128 * 1024 ** 2;
export const LARGE_OUTER_ROWS = 10_000;
const COSTLIEST = 3;

export interface Memory {
  workMemBytes: number;
  hashMemMultiplier: number;
}

export function adviseOn(nodes: PlanNode[], tables: TableFacts[], memory: Memory, hypopg: boolean): Advice[] {
  const total = nodes[0]?.totalCost ?? 0;
  const costliest = nodes
    .map((node, nodeIndex) => ({ node, nodeIndex }))
    .filter(({ node }) => node.selfCost > 0)
    .sort((a, b) => b.node.selfCost - a.node.selfCost)
    .slice(0, COSTLIEST)
    .map(
      ({ node, nodeIndex }): Advice => ({
        advice: 'costliest-node',
        nodeIndex,
        nodeType: node.nodeType,
        relation: node.relation,
        selfCost: node.selfCost,
        share: total ? (100 * node.selfCost) / total : 0,
      }),
    );
  const byName = new Map(tables.map((t) => [t.relation, t]));
  const seqScans = nodes.flatMap((node): Advice[] => {
    const table = node.nodeType === 'Seq Scan' && node.relation ? byName.get(node.relation) : undefined;
    return table && (table.rows >= LARGE_TABLE_ROWS || table.bytes >= LARGE_TABLE_BYTES)
      ? [{ advice: 'seq-scan-large', relation: table.relation, bytes: table.bytes, rows: table.rows }]
      : [];
  });
  const spills = nodes.flatMap((node, i): Advice[] => {
    if (node.nodeType !== 'Sort' && node.nodeType !== 'Hash') return [];
    // A sort holds its input, a hash its inner input (the Hash node's own rows); tuple overhead ignored, so this is a floor.
    const estimatedBytes = node.planRows * node.planWidth;
    const memoryBytes = node.nodeType === 'Hash' ? memory.workMemBytes * memory.hashMemMultiplier : memory.workMemBytes;
    return estimatedBytes > memoryBytes
      ? [
          {
            advice: 'spill-risk',
            nodeType: node.nodeType,
            relation: firstRelationBelow(nodes, i),
            estimatedBytes,
            memoryBytes,
          },
        ]
      : [];
  });
  const loops = nodes.flatMap((node, i): Advice[] => {
    if (node.nodeType !== 'Nested Loop') return [];
    const outer = nodes.slice(i + 1).find((n) => n.depth === node.depth + 1 && n.parentRelationship === 'Outer');
    return outer && outer.planRows >= LARGE_OUTER_ROWS
      ? [
          {
            advice: 'nested-loop-large',
            outerRows: outer.planRows,
            relation: firstRelationBelow(nodes, nodes.indexOf(outer)),
          },
        ]
      : [];
  });
  return [...costliest, ...seqScans, ...spills, ...loops, ...(hypopg ? [] : [{ advice: 'hypopg-missing' } as const])];
}

/** The relation a node or the first node under it reads (what a Sort or Hash is sorting or hashing). */
function firstRelationBelow(nodes: PlanNode[], index: number): string | null {
  const depth = nodes[index]!.depth;
  for (let i = index; i < nodes.length && (i === index || nodes[i]!.depth > depth); i++)
    if (nodes[i]!.relation) return nodes[i]!.relation;
  return null;
}
