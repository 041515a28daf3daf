import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { eventually, startTestBot, type TestBot } from '../support/slack/bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

// The App Home tab lists targets and their health: each person sees only the targets they may query.
let standIn: SlackStandIn;
let bot: TestBot;

beforeAll(async () => {
  standIn = await startSlackStandIn();
  standIn.state.usergroups.set('S0DBA', ['UCAROL']);
  standIn.state.guests.add('UGUEST');
  standIn.state.guests.add('UGUESTLISTED');
  const url = 'postgres://nobody@127.0.0.1:1/postgres';
  const config: Config = {
    targets: [
      targetSchema.parse({ name: 'open', url }),
      targetSchema.parse({ name: 'payments', url, users: ['UBOB'] }),
      targetSchema.parse({ name: 'warehouse', url, users: ['S0DBA', 'UGUESTLISTED'], channels: ['C0DBA'] }),
    ],
    defaultTarget: undefined,
  };
  bot = await startTestBot(standIn, config);
});
afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
});

async function homeTargets(user: string): Promise<string> {
  standIn.state.views.delete(user);
  await bot.send.event({ type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home' });
  const view = await eventually(
    () => standIn.state.views.get(user) as { blocks: unknown[] } | undefined,
    `${user}'s Home tab`,
  );
  return JSON.stringify(view.blocks);
}

describe('the App Home tab shows each person only the targets they may query', () => {
  it.each([
    ['UALICE', ['open'], ['payments', 'warehouse']],
    ['UBOB', ['open', 'payments'], ['warehouse']],
    ['UCAROL', ['open', 'warehouse'], ['payments']],
    ['UGUESTLISTED', ['warehouse'], ['open', 'payments']],
    ['UGUEST', ['There is no target you may query'], ['open', 'payments', 'warehouse']],
  ])('%s sees %j and not %j', async (user, shown, hidden) => {
    const home = await homeTargets(user);
    for (const name of shown) expect(home).toContain(name);
    for (const name of hidden) expect(home).not.toContain(`*${name}*`);
  });
});
