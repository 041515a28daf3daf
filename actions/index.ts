import type { AnyCommand } from '../src/engine/command.js';
import analyze from './analyze.js';
import cancel from './cancel.js';
import dropIndex from './drop-index.js';
import explainAnalyze from './explain-analyze.js';
import reindex from './reindex.js';
import terminate from './terminate.js';
import vacuumTable from './vacuum-table.js';

export type { ActionName } from './names.js';

/**
 * The explicit list of healing actions, in the order help shows them (after the diagnostics); nothing is
 * discovered by globbing. Each runs only after approval (src/heal).
 */
export const ACTIONS: readonly AnyCommand[] = [
  cancel,
  terminate,
  vacuumTable,
  analyze,
  reindex,
  dropIndex,
  explainAnalyze,
];

/** Approve asks "are you sure?" first for an action that ends or removes something (the action's own flag). */
export function isDestructive(name: string): boolean {
  return ACTIONS.find((a) => a.name === name)?.action?.destructive === true;
}

/** The action's statement carries query text, shown on the card by the target's query-text setting. */
export function showsQueryText(name: string): boolean {
  return ACTIONS.find((a) => a.name === name)?.action?.statementShowsQueryText === true;
}
