import type { Config } from '../config/schema.js';
import { createTargets } from '../db/targets.js';
import { renderShowSql } from '../engine/show-sql.js';
import type { DiagnosticRun } from './diagnostic.js';

/**
 * `pgmedic <command> --show-sql`: connects only to read what the statements depend on (server_version_num, where
 * the extensions live: the capability probe every run starts with), then prints them; the command does not run.
 */
export async function showSql(config: Config, run: DiagnosticRun): Promise<string> {
  const targets = createTargets(config);
  try {
    return renderShowSql(run.command, await targets.get(run.target).capabilities());
  } finally {
    await targets.closeAll();
  }
}
