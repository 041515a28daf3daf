import type { Config } from '../../../src/config/schema.js';
import type { ScheduleConfig } from '../../../src/config/schedule.js';
import type { PolicyInput } from '../../../src/heal/policy.js';
import { wireSchedule, type ScheduleWiring } from '../../../src/slack/schedule.js';
import { startHealingBot, type HealingBot } from './healing-bot.js';
import type { SlackStandIn } from './standin.js';

/** One running copy of the bot with healing and its scheduler, wired the way src/main.ts wires them. */
export interface ScheduledBot extends HealingBot {
  schedule: ScheduleWiring;
}

export async function startScheduledBot(
  standIn: SlackStandIn,
  config: Config,
  stateUrl: string,
  policy: Omit<PolicyInput, 'targets'>,
  schedule: ScheduleConfig,
  options: { instanceId: string; alertIntervalMs?: number },
): Promise<ScheduledBot> {
  const bot = await startHealingBot(standIn, config, stateUrl, policy);
  const wiring = wireSchedule(bot.bot, {
    statePool: bot.statePool,
    targets: bot.targets,
    schedule,
    logger: bot.bot.deps.logger,
    ...options,
  });
  await wiring.start();
  return {
    ...bot,
    schedule: wiring,
    async stop() {
      await wiring.stop();
      await bot.stop();
    },
  };
}

/** Top-level (not threaded) bot posts in `channel`, oldest first. */
export function channelPosts(standIn: SlackStandIn, channel: string) {
  return standIn.state.messages.filter((m) => m.via === 'chat.postMessage' && m.channel === channel && !m.threadTs);
}

/** The replies in one message's thread, oldest first. */
export function threadReplies(standIn: SlackStandIn, channel: string, ts: string) {
  return standIn.state.messages.filter(
    (m) => m.via === 'chat.postMessage' && m.channel === channel && m.threadTs === ts,
  );
}
