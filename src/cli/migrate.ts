import { loadStateConfig } from '../config/state.js';
import { AppError } from '../errors.js';
import { createStatePool } from '../state/pool.js';
import { prepareStateDatabase } from '../state/prepare.js';
import { tamperWarning } from '../state/privileges.js';

/**
 * `pgmedic migrate-state`: the one-time (and after each upgrade) setup of the state database, for deployments that
 * keep the owner's password out of the running bot: migrations as PGMEDIC_STATE_OWNER_URL, grants for the role of
 * PGMEDIC_STATE_DATABASE_URL. Exit 1 when the runtime role could still change audit rows.
 */
export async function runMigrateState(): Promise<{ output: string; tamperProof: boolean }> {
  const { url, ownerUrl } = loadStateConfig();
  if (!url)
    throw new AppError(
      'config_invalid',
      'PGMEDIC_STATE_DATABASE_URL is not set: it names the runtime role that gets the grants.',
      { hint: 'Set it to the URL the bot uses, and PGMEDIC_STATE_OWNER_URL to the owner role.' },
    );
  const runtime = createStatePool(url, 1);
  try {
    const { applied, tamper } = await prepareStateDatabase(runtime, { url, ownerUrl });
    const lines = [
      applied.length ? `Applied migrations ${applied.join(', ')}.` : 'The state database was already up to date.',
      tamperWarning(tamper) ??
        `Runtime role "${tamper.role}" can read and append to the audit log, and cannot change or delete its rows.`,
    ];
    return { output: lines.join('\n'), tamperProof: !tamper.risks.length };
  } finally {
    await runtime.end();
  }
}
