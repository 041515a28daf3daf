import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { App, LogLevel, type AnyMiddlewareArgs, type AppOptions } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Config } from '../config/schema.js';
import type { SlackConfig } from '../config/slack.js';
import type { Targets } from '../db/targets.js';
import { AppError } from '../errors.js';
import { boltLogger } from '../log/bolt.js';
import { setMetricSources } from '../ops/metrics.js';
import { opsRoutes } from '../ops/routes.js';
import type { Logger } from '../log/logger.js';
import { createAuthorizer, type Directory } from './authorize.js';
import { createHealing } from '../heal/service.js';
import type { HealingPolicy } from '../heal/policy.js';
import { createCopyState, LIMBO_DEFAULTS, type LimboSettings } from '../heal/limbo.js';
import type { Queryable, StatePool } from '../heal/types.js';
import type { DigestSource } from '../schedule/on-demand.js';
import { createDeliveryDedupe, deliveryKey, PENDING_CLAIM, stateDeliveryDedupe } from './dedupe.js';
import { slackErrorCode } from './deliver.js';
import type { SlackDeps } from './deps.js';
import { slackDirectory } from './directory.js';
import { interruptActions, startExpiryTimer, sweepExpired, sweepStale, type SlackHealing } from './healing.js';
import { createJobs } from './jobs.js';
import { nextTurn } from './next-turn.js';
import { registerActionButtons } from './listeners/actions.js';
import { registerFollowUpButtons } from './listeners/follow-ups.js';
import { registerApprovalButtons } from './listeners/approvals.js';
import { registerSlashCommand } from './listeners/command.js';
import { registerAppHome } from './listeners/home.js';
import { createStatusBoard } from './status.js';
import { loadParser } from '../redact/parser.js';

export interface SlackAppOptions {
  config: Config;
  slack: SlackConfig;
  targets: Targets;
  logger: Logger;
  now?: () => Date;
  /** Extra Web API client options; tests pass `retryConfig: { retries: 0 }`. */
  clientOptions?: WebClientOptions;
  /** Overrides the Slack lookups used for authorization. */
  directory?: Directory;
  /** The state database (migrated) and the approval policy; without it healing is off. */
  state?: { pool: StatePool; policy: HealingPolicy };
  /** How often expired approval requests lose their buttons (default 30 s). */
  expirySweepMs?: number;
  /** Heartbeat of running actions, when a silent executor counts as gone, how often to look (src/heal/limbo.ts). */
  limbo?: Partial<LimboSettings> & { sweepMs?: number };
  /** How long an ack waits for the shared retry-dedupe claim (default 250 ms, src/slack/dedupe.ts). */
  dedupeDeadlineMs?: number;
}

export interface SlackApp {
  app: App;
  deps: SlackDeps;
  /** Starts receiving; in http mode resolves with the port actually bound (PORT=0 picks a free one). */
  start(): Promise<{ port?: number }>;
  /**
   * Stops receiving, then waits up to `graceMs` for commands and approved actions already running; actions
   * still running after it are marked interrupted (audited, card updated) and cancelled on their target.
   */
  stop(graceMs?: number): Promise<void>;
  /** What `/pg digest` composes and posts with (the scheduler, or digests without trends). */
  attachDigests(source: DigestSource): void;
}

/** The Bolt app with every listener, built from its dependencies. Verifies the bot token first (auth.test). */
export async function createSlackApp(options: SlackAppOptions): Promise<SlackApp> {
  const { slack, logger } = options;
  // Query text in cards and reports is redacted with PostgreSQL's parser: the bot loads it once, at start.
  await loadParser();
  const clientOptions: WebClientOptions = {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    ...options.clientOptions,
  };
  const identity = await verifyBotToken(
    new WebClient(slack.botToken, { ...clientOptions, logger: boltLogger(logger, 'web-api') }),
  );
  logger.info({ botUserId: identity.botUserId, team: identity.team, mode: slack.mode }, 'bot token verified');
  const jobs = createJobs((error) => logger.error({ err: error }, 'a command failed after its ack'));
  const app = new App(appOptionsFor(slack, clientOptions, identity, logger, () => jobs.running, options.state?.pool));
  setMetricSources({ targets: options.targets, ...(options.state ? { statePool: options.state.pool } : {}) });
  const deps: SlackDeps = {
    config: options.config,
    slack,
    targets: options.targets,
    logger,
    authorizer: createAuthorizer(options.directory ?? slackDirectory(app.client)),
    status: createStatusBoard(),
    jobs,
    now: options.now ?? (() => new Date()),
    ...(options.state ? { healing: slackHealing(app, options.targets, options.state, options.limbo) } : {}),
  };
  app.use(dropRepeatedDeliveries(logger, options.state?.pool, options.dedupeDeadlineMs));
  registerSlashCommand(app, deps);
  registerActionButtons(app, deps);
  registerFollowUpButtons(app, deps);
  registerApprovalButtons(app, deps);
  registerAppHome(app, deps);
  app.error(async (error) => logger.error({ err: error }, 'slack listener failed'));
  let stopTimers: (() => void)[] = [];
  return {
    app,
    deps,
    async start() {
      const healing = deps.healing;
      if (healing) {
        stopTimers = [
          startExpiryTimer(() => sweepExpired(healing, app.client, logger), options.expirySweepMs ?? 30_000, logger),
          startExpiryTimer(
            () => sweepStale(healing, app.client, logger),
            options.limbo?.sweepMs ?? LIMBO_DEFAULTS.sweepMs,
            logger,
            'outcome-unknown sweep',
          ),
        ];
      }
      if (slack.mode === 'socket') {
        await app.start();
        return {};
      }
      const server = (await app.start(slack.host ? { port: slack.port, host: slack.host } : slack.port)) as {
        address(): AddressInfo | string | null;
      };
      const address = server.address();
      return { port: typeof address === 'object' && address ? address.port : slack.port };
    },
    attachDigests(source) {
      deps.digests = source;
    },
    async stop(graceMs = 10_000) {
      for (const stopTimer of stopTimers) stopTimer();
      await app.stop();
      const finished = await jobs.idle(graceMs);
      if (finished) return;
      logger.warn({ running: jobs.running }, 'stopped with commands still running');
      if (deps.healing) await interruptActions(deps.healing, app.client, logger, graceMs);
    },
  };
}

function appOptionsFor(
  slack: SlackConfig,
  clientOptions: WebClientOptions,
  identity: { botId: string; botUserId: string },
  logger: Logger,
  running: () => number,
  statePool?: Queryable,
): AppOptions {
  const customRoutes = [
    { path: '/healthz', method: ['GET'], handler: (_req: unknown, res: ServerResponse) => healthz(res, running()) },
    ...opsRoutes(statePool, { token: slack.opsToken, cacheMs: slack.opsCacheSeconds * 1000, logger }),
  ];
  const common: AppOptions = {
    token: slack.botToken,
    botId: identity.botId,
    botUserId: identity.botUserId,
    clientOptions,
    logger: boltLogger(logger),
    logLevel: toBoltLevel(slack.logLevel),
    // No conversation state is used; skipping its middleware saves work on every request.
    convoStore: false,
  };
  // In socket mode the health, readiness and metrics routes get a small HTTP server of their own on PORT.
  if (slack.mode === 'socket')
    return {
      ...common,
      socketMode: true,
      appToken: slack.appToken,
      customRoutes,
      installerOptions: { port: slack.port },
    };
  return {
    ...common,
    signingSecret: slack.signingSecret,
    endpoints: '/slack/events',
    // Ack first, work after: the HTTP response leaves as soon as ack() is called.
    processBeforeResponse: false,
    customRoutes,
  };
}

async function verifyBotToken(
  client: WebClient,
): Promise<{ botId: string; botUserId: string; team: string | undefined }> {
  try {
    const result = await client.auth.test();
    if (!result.user_id || !result.bot_id) throw new Error('the token is not a bot token');
    return { botId: result.bot_id, botUserId: result.user_id, team: result.team };
  } catch (error) {
    const code = slackErrorCode(error) ?? (error as Error).message;
    throw new AppError(
      'config_invalid',
      `SLACK_BOT_TOKEN: Slack refused it (${code}); copy the Bot User OAuth Token again (Install App page).`,
      { cause: error },
    );
  }
}

/** Approver groups are resolved on every click (never cached): membership can change during an incident. */
function slackHealing(
  app: App,
  targets: Targets,
  state: { pool: StatePool; policy: HealingPolicy },
  limbo: Partial<LimboSettings> = {},
): SlackHealing {
  const resolveGroup = async (usergroup: string) => (await app.client.usergroups.users.list({ usergroup })).users ?? [];
  const copy = createCopyState(limbo);
  return {
    service: createHealing({ statePool: state.pool, targets, policy: state.policy, resolveGroup, copy }),
    policy: state.policy,
    statePool: state.pool,
  };
}

/** Slack redelivers when an ack is slow; a command must never run twice (see dedupe.ts). */
function dropRepeatedDeliveries(logger: Logger, statePool: Queryable | undefined, deadlineMs?: number) {
  const memory = createDeliveryDedupe();
  const shared = statePool
    ? stateDeliveryDedupe(statePool, logger, deadlineMs === undefined ? {} : { deadlineMs })
    : undefined;
  return async (
    args: AnyMiddlewareArgs & { next: () => Promise<void>; context: { retryNum?: number; [key: string]: unknown } },
  ) => {
    const key = deliveryKey(args.body);
    if (key && shared && args.context.retryNum === undefined && isSlashCommand(args.body)) {
      // Acked at once; listeners/command.ts runs nothing before the claim is won (a replay reaching another copy).
      // The claim's INSERT is sent on a later turn (next-turn.ts), after the ack has gone out: sending it costs
      // the loop pool and socket work that acks still queued behind this one would otherwise wait for.
      args.context[PENDING_CLAIM] = nextTurn().then(() => shared.firstDelivery(key));
      await args.next();
      return;
    }
    if (key && !(shared ? await shared.firstDelivery(key) : memory.firstDelivery(key))) {
      logger.info({ key, retryNum: args.context.retryNum }, 'dropped a repeated delivery');
      if ('ack' in args && typeof args.ack === 'function') await args.ack();
      return;
    }
    await args.next();
  };
}

function isSlashCommand(body: unknown): boolean {
  return typeof (body as { command?: unknown } | undefined)?.command === 'string';
}

function healthz(res: ServerResponse, running: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true, running }));
}

function toBoltLevel(level: SlackConfig['logLevel']): LogLevel {
  if (level === 'trace' || level === 'debug') return LogLevel.DEBUG;
  if (level === 'warn') return LogLevel.WARN;
  if (level === 'error') return LogLevel.ERROR;
  return LogLevel.INFO;
}
