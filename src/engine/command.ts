import type { z } from 'zod';
import type { Thresholds } from '../config/thresholds.js';
import type { Capabilities } from '../db/capabilities.js';
import type { Session } from '../db/session.js';
import type { TargetHistory } from './history.js';
import type { Sql } from '../db/sql.js';
import type { Report } from '../report/model.js';

export type CommandKind = 'diagnostic' | 'action';

/** Everything collect() may use: I/O goes through the session only. */
export interface CollectContext {
  session: Session;
  caps: Capabilities;
  thresholds: Thresholds;
  /** A read-only session on another database of the same server (for per-database detail). */
  inDatabase<T>(database: string, work: (session: Session) => Promise<T>): Promise<T>;
  /** The target's stored snapshots (query history); absent without a state database. */
  history?: TargetHistory;
  /** The target's name (history and messages). */
  target: string;
  /**
   * Another read-only session on the same database, for independent statements that may run at the same time
   * as the session's (each is its own snapshot): on a large catalog, `sizes` and `database` wait on
   * pg_database_size while the largest relations are ranked.
   */
  alongside<T>(work: (session: Session) => Promise<T>): Promise<T>;
}

/** Everything report() may use: plain data, no clock, no I/O. */
export interface ReportContext<Options> {
  options: Options;
  thresholds: Thresholds;
  target: string;
  serverVersion: string;
  inRecovery: boolean;
  /** The time the command ran; reports never read the clock. */
  now: Date;
}

/** Pinned identity of what an action touches (pid + backendStart, schema + table, index + definition, …). */
export type ActionParams = Record<string, string>;

/** A table or index as pinned when the request was made: its quoted name and the oid it had then. */
export interface PinnedObject {
  kind: 'table' | 'index';
  /** "schema"."name", quoted as the catalog spells it: what the statement names. */
  quotedName: string;
  oid: string;
  /** For messages: schema.name, quoted only where needed. */
  label: string;
}

/** How an action's statement ended, in one sentence for the approval card. */
export interface ActionResult {
  status: 'succeeded' | 'failed' | 'target_changed';
  summary: string;
  /** A longer account posted in the request's thread (EXPLAIN ANALYZE's plan with actual rows and timing). */
  detail?: { title: string; text: string };
}

/**
 * The part of an action (actions/) that changes a database. Only src/heal calls it, and only after approval:
 * `collect`/`report` are the read-only preview, `pin` turns the preview into the exact identity that was
 * shown, `statement` is the single statement approvers see and that runs (sent alone, in autocommit, so
 * VACUUM and CONCURRENTLY work), `verify` re-checks read-only just before it runs.
 */
export interface ActionSpec<Options, Findings> {
  /** It ends or removes something (a session, a query, an index): Approve asks "are you sure?" first. */
  destructive: boolean;
  pin(findings: Findings, options: Options): { params: ActionParams } | { refusal: string };
  statement(params: ActionParams): { text: string; values: string[] };
  /** null when the target is still the one approved; otherwise why nothing will run. */
  verify(session: Session, params: ActionParams): Promise<string | null>;
  describeResult(rows: Record<string, unknown>[], params: ActionParams): ActionResult;
  /**
   * The table or index the statement names, with the oid pinned at request time: checked again on the action
   * connection immediately before the statement, so a drop-and-recreate under the same name is refused.
   */
  pinnedObject?(params: ActionParams): PinnedObject;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Run with the target's own statement_timeout and lock_timeout (its diagnostic ones) instead of the two above. */
  targetTimeouts?: boolean;
  /**
   * Absent: the statement is sent alone in autocommit. 'read-only-rollback': inside BEGIN READ ONLY, then ROLLBACK,
   * never committed (EXPLAIN ANALYZE, which runs the statement).
   */
  transaction?: 'read-only-rollback';
  /**
   * Absent: the statement runs as the action role (the target's actionUrl). 'monitoring': as the read-only
   * monitoring role the diagnostics use (its url), for a statement of the user's own that only needs to read
   * (EXPLAIN ANALYZE): what a function inside it may do is then what `/pg explain`'s role may, never a signal.
   */
  role?: 'monitoring';
  /** The statement carries query text (explain-analyze's SELECT): the card shows it by the target's query-text setting. */
  statementShowsQueryText?: boolean;
  /** Added to the outcome when the statement fails (what a half-done CONCURRENTLY leaves behind). */
  failureHint?: string;
}

/**
 * The statements a command sends, by purpose, each a string or keyed by minimum server_version_num; a function of
 * the capabilities where they also depend on the server (the schema an extension lives in). `--show-sql` prints
 * them (src/engine/show-sql.ts), and test/engine/show-sql.test.ts holds every statement collect sends to this list.
 */
export type CommandSql = Readonly<Record<string, Sql>> | ((caps: Capabilities) => Readonly<Record<string, Sql>>);

/** One diagnostic or action: the product's vocabulary. Every option has a default and a description. */
export interface CommandDefinition<Schema extends z.ZodObject = z.ZodObject, Findings = unknown> {
  name: string;
  summary: string;
  kind: CommandKind;
  options: Schema;
  /** Option names that may be given positionally, in order (e.g. `database` for `/pg database app`). */
  positionals?: readonly (keyof z.infer<Schema> & string)[];
  /**
   * A positional that takes every word from where it starts to the end, `--` included, joined by single spaces
   * (a statement for `explain`); it must be the last positional.
   */
  freeText?: keyof z.infer<Schema> & string;
  sql: CommandSql;
  /** Checks the options need that cannot be synchronous (PostgreSQL's parser), run before any connection is made. */
  precheck?(options: z.infer<Schema>): Promise<void>;
  collect(context: CollectContext, options: z.infer<Schema>): Promise<Findings>;
  report(findings: Findings, context: ReportContext<z.infer<Schema>>): Report;
  /** Present exactly when kind is 'action'. */
  action?: ActionSpec<z.infer<Schema>, Findings>;
}

/** Identity function that keeps the option and findings types tied together. */
export function defineCommand<Schema extends z.ZodObject, Findings>(
  definition: CommandDefinition<Schema, Findings>,
): CommandDefinition<Schema, Findings> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds commands of every findings type; each one is typed where it is defined.
export type AnyCommand = CommandDefinition<z.ZodObject, any>;
