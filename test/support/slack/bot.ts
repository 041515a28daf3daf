import { Writable } from 'node:stream';
import type { Config } from '../../../src/config/schema.js';
import { loadSlackConfig } from '../../../src/config/slack.js';
import { createTargets, type Targets } from '../../../src/db/targets.js';
import { createLogger } from '../../../src/log/logger.js';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '../../../src/slack/app.js';
import { slackSender } from './requests.js';
import type { SlackStandIn } from './standin.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';

export interface TestBot {
  url: string;
  bot: SlackApp;
  targets: Targets;
  /** Every JSON log line the bot wrote. */
  logs: Record<string, unknown>[];
  send: ReturnType<typeof slackSender>;
  stop(): Promise<void>;
}

/** The real app in HTTP mode on a free port, talking to the stand-in; retries off so failures show at once. */
export async function startTestBot(
  standIn: SlackStandIn,
  config: Config,
  env: Record<string, string> = {},
  extra: Pick<SlackAppOptions, 'state' | 'expirySweepMs' | 'limbo' | 'dedupeDeadlineMs'> = {},
): Promise<TestBot> {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const slack = loadSlackConfig({
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: standIn.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    PORT: '0',
    SLACK_API_URL: standIn.apiUrl,
    ...env,
  });
  const targets = createTargets(config);
  const bot = await createSlackApp({
    config,
    slack,
    targets,
    logger: createLogger({ level: 'info', destination }),
    clientOptions: { retryConfig: { retries: 0 } },
    ...extra,
  });
  const { port } = await bot.start();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    bot,
    targets,
    logs,
    send: slackSender(url, SIGNING_SECRET, standIn),
    async stop() {
      await bot.stop(5_000);
      await targets.closeAll();
    },
  };
}

/** Polls until `check` returns something (the bot answers asynchronously after its ack). */
export async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
