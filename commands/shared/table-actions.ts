import { escapeIdentifier } from '../../src/db/driver.js';
import { qualifiedName } from '../../src/report/format.js';
import type { SuggestedAction } from '../../src/report/model.js';

/**
 * The manual VACUUM button: the `vacuum-table` action (VACUUM (ANALYZE), never FULL) takes one `table` option
 * that it resolves with to_regclass, so the name goes out quoted exactly as the catalog spells it.
 */
export function vacuumTableAction(oid: string, schema: string, table: string): SuggestedAction {
  return {
    action: 'vacuum-table',
    label: `VACUUM ${qualifiedName(schema, table)}`,
    params: tableParams(oid, schema, table),
  };
}

/** The manual ANALYZE button, for a table with rows that has never been analyzed: the planner has no statistics for it. */
export function analyzeTableAction(oid: string, schema: string, table: string): SuggestedAction {
  return {
    action: 'analyze',
    label: `ANALYZE ${qualifiedName(schema, table)}`,
    params: tableParams(oid, schema, table),
  };
}

/** The oid the report saw goes along: a table dropped and recreated before the click is refused, not acted on. */
const tableParams = (oid: string, schema: string, table: string) => ({
  table: `${escapeIdentifier(schema)}.${escapeIdentifier(table)}`,
  oid,
});
