import type pg from 'pg';
import type { Config } from '../../../src/config/schema.js';
import { createPolicy, type PolicyInput } from '../../../src/heal/policy.js';
import { migrateStateDatabase } from '../../../src/state/migrations.js';
import { createStatePool } from '../../../src/state/pool.js';
import type { SlackAppOptions } from '../../../src/slack/app.js';
import { startTestBot, type TestBot } from './bot.js';
import type { SlackStandIn } from './standin.js';

/** One running copy of the bot with healing: its own state pool (shared database), targets and policy. */
export interface HealingBot extends TestBot {
  statePool: pg.Pool;
}

export async function startHealingBot(
  standIn: SlackStandIn,
  config: Config,
  stateUrl: string,
  policy: Omit<PolicyInput, 'targets'>,
  expirySweepMs = 200,
  extra: { env?: Record<string, string>; limbo?: SlackAppOptions['limbo']; dedupeDeadlineMs?: number } = {},
): Promise<HealingBot> {
  const statePool = createStatePool(stateUrl);
  await migrateStateDatabase(statePool);
  const state = {
    pool: statePool,
    policy: createPolicy({
      ...policy,
      ...(config.healing ? { healing: config.healing } : {}),
      targets: config.targets,
    }),
  };
  const bot = await startTestBot(standIn, config, extra.env ?? {}, {
    state,
    expirySweepMs,
    ...(extra.limbo ? { limbo: extra.limbo } : {}),
    ...(extra.dedupeDeadlineMs ? { dedupeDeadlineMs: extra.dedupeDeadlineMs } : {}),
  });
  return {
    ...bot,
    statePool,
    async stop() {
      await bot.stop();
      await statePool.end();
    },
  };
}
