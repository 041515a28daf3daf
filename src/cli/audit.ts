import { loadStateConfig } from '../config/state.js';
import { AppError } from '../errors.js';
import { intOption } from '../engine/units.js';
import { auditReport } from '../heal/audit-report.js';
import { renderText } from '../report/text.js';
import { readAudit } from '../state/audit.js';
import { createStatePool } from '../state/pool.js';
import type { CliArgs } from './args.js';

/** `--limit N`: bounds declared once, checked like every command option. */
const LIMIT = intOption(1, 500, 20, 'Audit entries to show');

/** `pgmedic audit [--target NAME] [--limit N]`: the healing audit log, read-only, from PGMEDIC_STATE_DATABASE_URL. */
export async function runAudit(args: CliArgs, limit: number, color: boolean): Promise<string> {
  const { url } = loadStateConfig();
  if (!url) throw new AppError('config_invalid', 'The audit log lives in the state database, and PGMEDIC_STATE_DATABASE_URL is not set.', { hint: 'Set it to the URL the bot uses.' });
  const pool = createStatePool(url, 1);
  try {
    const records = await readAudit(pool, { ...(args.target ? { target: args.target } : {}), limit }).catch((error: unknown) => {
      if ((error as { code?: string }).code === '42P01') throw new AppError('config_invalid', 'The state database has no pgmedic audit log yet.', { hint: 'Start the bot once with PGMEDIC_STATE_DATABASE_URL set; it creates the schema.' });
      throw error;
    });
    const report = auditReport(records, { ...(args.target ? { target: args.target } : {}), limit });
    if (args.format === 'json') return JSON.stringify({ command: 'audit', target: args.target ?? null, entries: records }, null, 2);
    return renderText(report, undefined, { color });
  } finally {
    await pool.end();
  }
}

export function parseLimit(rest: readonly string[]): number {
  if (!rest.length) return LIMIT.parse(undefined);
  const value = rest[0] === '--limit' ? rest[1] : rest[0]?.startsWith('--limit=') ? rest[0].slice('--limit='.length) : undefined;
  const limit = value === undefined ? undefined : LIMIT.safeParse(value);
  if (rest.length > (rest[0] === '--limit' ? 2 : 1) || !limit?.success) {
    throw new AppError('bad_option', '`audit` takes only --target NAME and --limit N (a whole number from 1 to 500, in digits).', { hint: 'For example `pgmedic audit --target prod --limit 50`.' });
  }
  return limit.data;
}
