import type { z } from 'zod';
import type { Thresholds } from '../config/thresholds.js';
import type { Capabilities } from '../db/capabilities.js';
import type { Session } from '../db/session.js';
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

/**
 * One diagnostic or action: the product's vocabulary. Every option has a default and a description.
 * `sql` holds the command's statements by purpose, each a string or keyed by minimum server_version_num.
 */
export interface CommandDefinition<Schema extends z.ZodObject = z.ZodObject, Findings = unknown> {
  name: string;
  summary: string;
  kind: CommandKind;
  options: Schema;
  /** Option names that may be given positionally, in order (e.g. `database` for `/pg database app`). */
  positionals?: readonly (keyof z.infer<Schema> & string)[];
  sql: Readonly<Record<string, Sql>>;
  collect(context: CollectContext, options: z.infer<Schema>): Promise<Findings>;
  report(findings: Findings, context: ReportContext<z.infer<Schema>>): Report;
}

/** Identity function that keeps the option and findings types tied together. */
export function defineCommand<Schema extends z.ZodObject, Findings>(definition: CommandDefinition<Schema, Findings>): CommandDefinition<Schema, Findings> {
  return definition;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandDefinition<z.ZodObject, any>;
