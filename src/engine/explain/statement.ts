import { tagSql } from '../../db/sql.js';
import { AppError } from '../../errors.js';
import { loadedParser, loadParser } from '../../redact/parser.js';

/** The statements EXPLAIN plans without running them; WITH parses as one of these. */
const PLANNABLE: Record<string, string> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
};
const HINT =
  'Give one SELECT, INSERT, UPDATE, DELETE, MERGE or WITH statement (no trailing second statement), or a queryid from `slow-queries`.';

export interface CheckedStatement {
  /** The statement alone, as the parser delimited it (no trailing semicolon). */
  text: string;
  /** SELECT, INSERT, …: what the statement is. */
  verb: string;
  /** The highest $n it uses (0 for none). */
  parameters: number;
}

export interface ParsedStatement {
  stmt: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

/**
 * Decides with PostgreSQL's own parser whether `sql` is exactly one plannable statement; anything else is refused
 * here, before a connection sees it. Refusals say what to type instead.
 */
export async function checkStatement(
  sql: string,
  who: { does: string; hint: string } = { does: 'explain plans', hint: HINT },
): Promise<CheckedStatement> {
  const stmts = await parse(sql, 'The statement', who.hint);
  if (stmts.length !== 1) {
    throw new AppError(
      'bad_input',
      stmts.length
        ? `That is ${stmts.length} statements; ${who.does} exactly one.`
        : 'There is no statement to explain, only comments or blanks.',
      { hint: who.hint },
    );
  }
  const only = stmts[0]!;
  const [node, body] = Object.entries(only.stmt)[0] ?? [];
  const verb = node ? PLANNABLE[node] : undefined;
  if (!verb)
    throw new AppError(
      'bad_input',
      `${who.does} queries only; this is ${describeNode(node)}, which it will not send.`,
      { hint: who.hint },
    );
  if (node === 'SelectStmt' && (body as { intoClause?: unknown }).intoClause) {
    throw new AppError('bad_input', `SELECT … INTO creates a table; ${who.does} queries only.`, {
      hint: 'Leave out INTO: explain the SELECT alone.',
    });
  }
  const start = only.stmt_location ?? 0;
  const text = sql.slice(start, only.stmt_len ? start + only.stmt_len : undefined).trim();
  return { text, verb, parameters: highestParameter(only.stmt) };
}

/**
 * The exact text the session sends, checked again as sent (with pgmedic's tag): one EXPLAIN, with only our
 * options (never ANALYZE), of one plannable statement. Belt and braces over checkStatement.
 */
export async function explainSql(statement: CheckedStatement, generic: boolean): Promise<string> {
  const options = generic ? ['generic_plan', 'verbose', 'format'] : ['verbose', 'format'];
  const sql = `EXPLAIN (${generic ? 'GENERIC_PLAN, ' : ''}VERBOSE, FORMAT JSON) ${statement.text}`;
  await checkWrapped(sql, options, PLANNABLE);
  return sql;
}

/** `sql`, tagged as the session sends it, must parse as one EXPLAIN with exactly `options` of one `inner` statement. */
export async function checkWrapped(sql: string, options: string[], inner: Record<string, string>): Promise<void> {
  const sent = await parse(tagSql('explain', sql), 'The EXPLAIN');
  const explain =
    sent.length === 1
      ? (sent[0]!.stmt.ExplainStmt as
          | { query?: Record<string, unknown>; options?: { DefElem: { defname: string } }[] }
          | undefined)
      : undefined;
  const given = explain?.options?.map((o) => o.DefElem.defname) ?? [];
  const node = Object.keys(explain?.query ?? {})[0];
  if (!explain || !node || !inner[node] || given.join() !== options.join()) {
    throw new AppError('bad_input', 'The statement does not stay one plain EXPLAIN once wrapped, so it is not sent.', {
      hint: HINT,
    });
  }
}

export async function parse(sql: string, what: string, hint = HINT): Promise<ParsedStatement[]> {
  await loadParser();
  try {
    return (loadedParser()!.parseSync(sql) as { stmts: ParsedStatement[] }).stmts;
  } catch (error) {
    // The parser's message quotes the text near the error; only its position is repeated (1-based, as psql counts).
    const at = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    throw new AppError(
      'bad_input',
      `${what} does not parse as PostgreSQL SQL${at !== undefined ? ` (syntax error at character ${at + 1})` : ''}.`,
      { hint },
    );
  }
}

function describeNode(node: string | undefined): string {
  if (!node) return 'not a statement';
  const words = node.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2');
  return `a ${words} statement`;
}

function highestParameter(value: unknown): number {
  if (Array.isArray(value)) return Math.max(0, ...value.map(highestParameter));
  if (!value || typeof value !== 'object') return 0;
  const ref = (value as { ParamRef?: { number?: number } }).ParamRef;
  return Math.max(ref?.number ?? 0, ...Object.values(value).map(highestParameter));
}
