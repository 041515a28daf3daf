import { AppError } from '../../errors.js';
import { type CheckedStatement, checkStatement, checkWrapped, parse } from './statement.js';

/**
 * EXPLAIN ANALYZE runs the statement. The action sends it inside BEGIN READ ONLY and rolls back, which stops
 * every write; these checks refuse, before any request, what would still act or what says plainly it writes.
 */
const HINT =
  'Give one plain SELECT (no FOR UPDATE, no data-modifying WITH); `explain` plans anything without running it.';

/** Statements that write: inside a WITH they would run under EXPLAIN ANALYZE. */
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * Functions whose effect a READ ONLY transaction does not stop or a rollback does not undo: signals, locks held
 * past the statement, notifications, settings, server-wide resets, replication slots, large objects, other
 * connections. A function of your own may still call them; approvers read the statement on the card.
 */
const OUTSIDE_TRANSACTION =
  /^(pg_(terminate|cancel)_backend|pg_(try_)?advisory_.*|pg_notify|set_config|pg_reload_conf|pg_rotate_logfile|pg_switch_wal|pg_promote|pg_wal_replay_(pause|resume)|pg_create_restore_point|pg_log_backend_memory_contexts|pg_stat_reset.*|pg_stat_statements_reset|pg_.*replication_slot.*|pg_replication_origin_.*|pg_logical_emit_message|pg_file_.*|lo_.*|dblink.*)$/;

export const ANALYZE_OPTIONS = ['analyze', 'buffers', 'format'];

/** One SELECT that only reads, without parameters: what EXPLAIN ANALYZE may run. Refusals say what to type. */
export async function checkSelectOnly(sql: string): Promise<CheckedStatement> {
  const checked = await checkStatement(sql, { does: 'explain-analyze runs', hint: HINT });
  if (checked.verb !== 'SELECT')
    throw refusal(`EXPLAIN ANALYZE would really run this ${checked.verb}; explain-analyze runs SELECT only.`);
  const [only] = await parse(checked.text, 'The statement');
  const problem = findProblem(only!.stmt);
  if (problem) throw refusal(problem);
  if (checked.parameters)
    throw new AppError(
      'bad_input',
      `The statement has $1…$${checked.parameters} parameters and EXPLAIN ANALYZE runs it, so it needs real values.`,
      { hint: 'Type the statement with values in place of $1, $2, … (`explain-analyze SELECT … WHERE id = 42`).' },
    );
  return checked;
}

/** What the action sends for a checked SELECT (the card shows exactly this). */
export const analyzeText = (select: string): string => `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${select}`;

/** The exact text that runs, checked again as sent: one EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of one SELECT. */
export async function explainAnalyzeSql(statement: CheckedStatement): Promise<string> {
  const sql = analyzeText(statement.text);
  await checkWrapped(sql, ANALYZE_OPTIONS, { SelectStmt: 'SELECT' });
  return sql;
}

function findProblem(value: unknown): string | null {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findProblem(item);
      if (found) return found;
    }
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    if (WRITES.has(key))
      return `It contains ${key.replace(/Stmt$/, '').toUpperCase()} (a data-modifying WITH), which EXPLAIN ANALYZE would run.`;
    if (key === 'lockingClause' && Array.isArray(child) && child.length)
      return 'SELECT … FOR UPDATE/SHARE locks the rows it reads; explain-analyze runs reads only.';
    if (key === 'FuncCall') {
      const name = functionName(child);
      if (name && OUTSIDE_TRANSACTION.test(name))
        return `It calls ${name}(), whose effect a READ ONLY transaction does not stop and a rollback does not undo.`;
    }
    const found = findProblem(child);
    if (found) return found;
  }
  return null;
}

function functionName(call: unknown): string | undefined {
  const parts = (call as { funcname?: { String?: { sval?: string } }[] }).funcname ?? [];
  return parts.at(-1)?.String?.sval?.toLowerCase();
}

const refusal = (message: string) => new AppError('bad_input', message, { hint: HINT });
