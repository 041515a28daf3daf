import type { Capabilities } from '../db/capabilities.js';
import { pickSql } from '../db/sql.js';
import type { AnyCommand } from './command.js';

/** One statement a command sends, as resolved for one server version. */
export interface ShownStatement {
  /** The key of the command's `sql` member: what the statement is for. */
  purpose: string;
  text: string;
}

/** The command's statements for this server (its version, and where its extensions live), in the command's order. */
export function statementsFor(command: AnyCommand, caps: Capabilities): ShownStatement[] {
  const sql = typeof command.sql === 'function' ? command.sql(caps) : command.sql;
  return Object.entries(sql).map(([purpose, text]) => ({ purpose, text: pickSql(text, caps.serverVersionNum).trim() }));
}

/**
 * `pgmedic <command> --show-sql`: the statements as a DBA can paste them into psql. `$1`, `$2` are the values
 * pgmedic binds from the options; pgmedic also adds its tag comment (`/* pgmedic:<command> *\/`) when it sends them.
 */
export function renderShowSql(command: AnyCommand, caps: Capabilities): string {
  const header = [
    `-- pgmedic ${command.name}: the statements it sends to PostgreSQL ${caps.serverVersion} (server_version_num ${caps.serverVersionNum}).`,
    '-- Read-only; $1, $2 … are values pgmedic binds from the options. Nothing was run but the version check.',
  ];
  const body = statementsFor(command, caps).map((s) => `-- ${s.purpose}\n${s.text};`);
  const none = '-- None of its own on this server: it sends only the statement you give it (explain, explain-analyze).';
  return [...header, ...(body.length ? body : [none])].join('\n\n');
}
