import { loadStateConfig } from '../config/state.js';
import { AppError } from '../errors.js';
import { auditReport } from '../heal/audit-report.js';
import { renderText } from '../report/text.js';
import { prepareDisplayWidth } from '../report/width.js';
import { readAudit } from '../state/audit.js';
import { createStatePool } from '../state/pool.js';
import type { CliArgs } from './args.js';

/** `pgmedic audit [target] [--limit N]`: the healing audit log, read-only, from PGMEDIC_STATE_DATABASE_URL. */
export async function runAudit(args: CliArgs, limit: number, color: boolean): Promise<string> {
  const { url } = loadStateConfig();
  if (!url)
    throw new AppError(
      'config_invalid',
      'The audit log lives in the state database, and PGMEDIC_STATE_DATABASE_URL is not set.',
      { hint: 'Set it to the URL the bot uses.' },
    );
  const pool = createStatePool(url, 1);
  try {
    const records = await readAudit(pool, { ...(args.target ? { target: args.target } : {}), limit }).catch(
      (error: unknown) => {
        if ((error as { code?: string }).code === '42P01')
          throw new AppError('config_invalid', 'The state database has no pgmedic audit log yet.', {
            hint: 'Start the bot once with PGMEDIC_STATE_DATABASE_URL set; it creates the schema.',
          });
        throw error;
      },
    );
    const report = auditReport(records, { ...(args.target ? { target: args.target } : {}), limit });
    if (args.format === 'json')
      return JSON.stringify({ command: 'audit', target: args.target ?? null, entries: records }, null, 2);
    await prepareDisplayWidth(JSON.stringify(report));
    return renderText(report, undefined, { color });
  } finally {
    await pool.end();
  }
}
