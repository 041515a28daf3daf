import { currentEnv, loadConfig, type Env } from './config/load.js';
import type { Config } from './config/schema.js';
import { loadSlackConfig, type SlackConfig } from './config/slack.js';
import { loadStateConfig, type StateConfig } from './config/state.js';
import { logConnectionErrorsTo } from './db/pools.js';
import { createDiscovery } from './db/discovery.js';
import { createTargets, type Targets } from './db/targets.js';
import { describeError } from './errors.js';
import { createPolicy } from './heal/policy.js';
import { createLogger, type Logger } from './log/logger.js';
import { redactText } from './log/redact.js';
import { prepareDisplayWidth } from './report/width.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { wireSchedule, type ScheduleWiring } from './slack/schedule.js';
import { loadScheduleConfig } from './config/schedule.js';
import { prepareStateDatabase } from './state/prepare.js';
import { tamperWarning } from './state/privileges.js';
import { createStatePool } from './state/pool.js';
import { chooseStartMode } from './config/start-mode.js';
import { loadParser } from './redact/parser.js';
import { reloadConfigFile } from './reload.js';

/** The bot: settings → targets → Slack app. Bad settings stop start-up with one line per problem. */
async function main(): Promise<void> {
  // Without Slack settings: the local workspace (and, without databases, the embedded demo) supplies them.
  // With Slack settings the workspace, the stand-in and the embedded server are never loaded.
  const env = currentEnv();
  const startLocal = async () =>
    (await import('./workspace/local.js')).startLocalRun(env, (line) => process.stdout.write(`pgmedic: ${line}\n`));
  const local = await (chooseStartMode(env) === 'slack' ? Promise.resolve(undefined) : startLocal()).catch(
    (error: unknown) => {
      printProblems([error]);
      return null;
    },
  );
  const settings = local === null ? undefined : await loadSettings(local?.env);
  if (!settings) {
    await local?.stop();
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: settings.slack.logLevel });
  // PostgreSQL's parser (WASM, compiled off the main thread) loads while the state database is prepared;
  // createSlackApp waits for it. A failure surfaces there.
  loadParser().catch(() => undefined);
  if (!settings.config.targets.length)
    logger.warn('no database target is configured (DATABASE_URL or PGMEDIC_CONFIG); commands will say so');
  // An idle connection dying (restart, failover) is replaced by its pool; the log says it happened.
  logConnectionErrorsTo((error, where) =>
    logger.warn({ err: error, ...where }, 'a database connection failed; it will be replaced'),
  );
  const targets = createTargets(settings.config);
  // Databases of `discover: all-databases` servers become targets before the first command or round sees the list.
  const discovery = createDiscovery(targets, settings.config, logger);
  await discovery.refresh();
  const statePool = settings.state.url ? createStatePool(settings.state.url) : undefined;
  const closeAll = async () => {
    await Promise.all([targets.closeAll(), statePool?.end()]);
    await local?.stop();
  };
  let bot: SlackApp;
  let schedule: ScheduleWiring;
  try {
    const state = statePool
      ? await openState(
          statePool,
          local
            ? {
                ...settings,
                config: (await import('./workspace/local.js')).withWorkspaceHealing(settings.config, local.healing),
              }
            : settings,
          targets,
          logger,
        )
      : undefined;
    if (!state)
      logger.warn('PGMEDIC_STATE_DATABASE_URL is not set: healing actions are off (reports offer no buttons)');
    bot = await createSlackApp({
      config: settings.config,
      slack: settings.slack,
      targets,
      logger,
      limbo: settings.state.limbo,
      ...(state ? { state } : {}),
    });
    schedule = wireSchedule(bot, {
      statePool,
      targets,
      schedule: loadScheduleConfig(settings.config, local?.env),
      logger,
    });
  } catch (error) {
    printProblems([error]);
    await closeAll();
    process.exitCode = 2;
    return;
  }
  const { port } = await bot.start();
  logger.info(
    { mode: settings.slack.mode, port, targets: targets.names(), healing: Boolean(statePool) },
    'pgmedic is running',
  );
  if (port !== undefined) local?.attach(port);
  void prepareDisplayWidth().catch(() => undefined); // once up: text reports (files in threads) measure wide characters from then on
  await schedule.start();
  discovery.onChange((change) => schedule.retire(change.removed));
  discovery.start();
  const stopReloading = reloadConfigFile(settings.config, local?.env ?? env, discovery, logger);
  // The scheduler stops before the pools close: a digest or alert check in flight still has its connections.
  stopOnSignals(
    bot,
    settings.state.shutdownGraceMs,
    async () => {
      stopReloading();
      discovery.stop();
      await schedule.stop();
      await closeAll();
    },
    logger,
  );
}

/** Migrates the state database (src/state/prepare.ts), says loudly if the audit log is not tamper-proof, builds the policy. */
async function openState(
  pool: ReturnType<typeof createStatePool>,
  settings: Settings,
  targets: Targets,
  logger: Logger,
) {
  const { url, ownerUrl } = settings.state;
  const prepared = await prepareStateDatabase(pool, { url: url!, ownerUrl }).catch((error: unknown) => {
    const hint = ownerUrl ? '' : '; if another role owns the schema, set PGMEDIC_STATE_OWNER_URL to it';
    throw new Error(
      `PGMEDIC_STATE_DATABASE_URL: could not prepare the state database (${describeError(error).text}${hint})`,
      { cause: error },
    );
  });
  if (prepared.applied.length) logger.info({ versions: prepared.applied }, 'state database migrated');
  const warning = tamperWarning(prepared.tamper);
  if (warning) logger.warn({ role: prepared.tamper.role, risks: prepared.tamper.risks }, warning);
  const policy = createPolicy({
    approvers: settings.state.approvers,
    ...(settings.config.healing ? { healing: settings.config.healing } : {}),
    // The live list: targets a reload or a discovery adds heal with their entry's settings, removed ones cannot.
    targets: () => targets.names().map((name) => targets.get(name).config),
  });
  if (!policy.approvers.length)
    logger.warn('no approvers configured (PGMEDIC_APPROVERS or healing.approvers): healing actions are off');
  return { pool, policy };
}

interface Settings {
  config: Config;
  slack: SlackConfig;
  state: StateConfig;
}

async function loadSettings(env: Env = currentEnv()): Promise<Settings | undefined> {
  const problems: unknown[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      problems.push(error);
      return undefined;
    }
  };
  const config = await loadConfig(env).catch((error: unknown) => void problems.push(error));
  const slack = attempt(() => loadSlackConfig(env));
  const state = attempt(() => loadStateConfig(env));
  if (problems.length || !config || !slack || !state) {
    printProblems(problems);
    return undefined;
  }
  return { config, slack, state };
}

function printProblems(errors: unknown[]): void {
  const lines = errors.flatMap((error) => describeError(error).text.split('\n'));
  process.stderr.write(`${lines.map((line) => `pgmedic: ${redactText(line)}`).join('\n')}\n`);
}

function stopOnSignals(bot: SlackApp, graceMs: number, closeAll: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, 'stopping: no new commands, finishing the running ones');
    try {
      await bot.stop(graceMs);
      await closeAll();
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
