import { targetSchema, type Config } from '../../../src/config/schema.js';
import { prepareHealingServer, type HealingServer } from '../healing.js';
import { startTestServer, type TestServer } from '../pg.js';
import { startHealingBot, type HealingBot } from './healing-bot.js';
import { startSlackStandIn, type SlackStandIn } from './standin.js';

/** A PostgreSQL 18 prepared for healing, the Slack stand-in, and one bot whose target "prod" UBOB approves on. */
export interface HealingWorld {
  server: TestServer;
  env: HealingServer;
  standIn: SlackStandIn;
  bot: HealingBot;
  config: Config;
  stop(): Promise<void>;
}

export async function startHealingWorld(
  options: { arrange?: (env: HealingServer) => Promise<void>; bot?: Parameters<typeof startHealingBot>[5] } = {},
): Promise<HealingWorld> {
  const server = await startTestServer(18);
  const env = await prepareHealingServer(server);
  await options.arrange?.(env);
  const standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const config: Config = {
    targets: [targetSchema.parse({ name: 'prod', url: env.monitorUrl, actionUrl: env.healerUrl })],
    defaultTarget: 'prod',
  };
  const bot = await startHealingBot(standIn, config, env.stateUrl, { approvers: ['UBOB'] }, 200, options.bot);
  const stop = async () => {
    await bot.stop();
    await standIn.stop();
    await server.stop();
  };
  return { server, env, standIn, bot, config, stop };
}
