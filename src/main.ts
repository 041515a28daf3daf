import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { loadSlackConfig, type SlackConfig } from './config/slack.js';
import { createTargets } from './db/targets.js';
import { describeError } from './errors.js';
import { createLogger, type Logger } from './log/logger.js';
import { redactText } from './log/redact.js';
import { createSlackApp, type SlackApp } from './slack/app.js';

/** Seconds a stopping bot gives commands already running to post their reports. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The bot: settings → targets → Slack app. Bad settings stop start-up with one line per problem. */
async function main(): Promise<void> {
  const settings = loadSettings();
  if (!settings) {
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: settings.slack.logLevel });
  if (!settings.config.targets.length) logger.warn('no database target is configured (DATABASE_URL or PGMEDIC_CONFIG); commands will say so');
  const targets = createTargets(settings.config);
  let bot: SlackApp;
  try {
    bot = await createSlackApp({ config: settings.config, slack: settings.slack, targets, logger });
  } catch (error) {
    printProblems([error]);
    await targets.closeAll();
    process.exitCode = 2;
    return;
  }
  const { port } = await bot.start();
  logger.info({ mode: settings.slack.mode, port, targets: targets.names() }, 'pgmedic is running');
  stopOnSignals(bot, targets.closeAll, logger);
}

function loadSettings(): { config: Config; slack: SlackConfig } | undefined {
  const problems: unknown[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      problems.push(error);
      return undefined;
    }
  };
  const config = attempt(() => loadConfig());
  const slack = attempt(() => loadSlackConfig());
  if (problems.length || !config || !slack) {
    printProblems(problems);
    return undefined;
  }
  return { config, slack };
}

function printProblems(errors: unknown[]): void {
  const lines = errors.flatMap((error) => describeError(error).text.split('\n'));
  process.stderr.write(`${lines.map((line) => `pgmedic: ${redactText(line)}`).join('\n')}\n`);
}

function stopOnSignals(bot: SlackApp, closeTargets: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new commands, finishing the running ones');
    try {
      await bot.stop(SHUTDOWN_GRACE_MS);
      await closeTargets();
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
    }
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  printProblems([error]);
  process.exitCode = 1;
});
