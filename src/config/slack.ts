import { z } from 'zod';
import { AppError } from '../errors.js';
import { commaList, presentValues } from './env-values.js';
import type { Env } from './load.js';

export type SlackMode = 'socket' | 'http';
export type Visibility = 'channel' | 'private';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Everything the Slack surface needs, read from the environment once. */
export interface SlackConfig {
  mode: SlackMode;
  botToken: string;
  appToken: string | undefined;
  signingSecret: string | undefined;
  port: number;
  /** The address the http receiver binds (PGMEDIC_LISTEN_HOST); undefined means every interface. */
  host: string | undefined;
  /** Web API base URL; undefined means Slack's own. */
  apiUrl: string | undefined;
  /** Where reports go when the user types neither --private nor --public. */
  defaultVisibility: Visibility;
  /** Channels (IDs) whose reports are private unless --public is typed. */
  privateChannels: ReadonlySet<string>;
  logLevel: LogLevel;
  /** PGMEDIC_OPS_TOKEN: the bearer token /readyz and /metrics require; undefined leaves them open. */
  opsToken: string | undefined;
  /** How long /readyz and /metrics reuse an answer (PGMEDIC_OPS_CACHE_SECONDS, default 5). */
  opsCacheSeconds: number;
}

const SECRET_KEYS = new Set(['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'PGMEDIC_OPS_TOKEN']);

const channelList = commaList(
  z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'channel IDs such as C0123ABCD, comma-separated'),
);

const envSchema = z.object({
  SLACK_MODE: z.enum(['socket', 'http'], 'use "socket" or "http"').default('socket'),
  SLACK_BOT_TOKEN: z
    .string('set it to the bot token (Install App → Bot User OAuth Token)')
    .regex(/^xoxb-/, 'a bot token starts with xoxb-'),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'an app-level token starts with xapp-')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'the signing secret is at least 8 characters').optional(),
  PORT: z.coerce.number('a port number').int().min(0).max(65_535).default(3000),
  PGMEDIC_LISTEN_HOST: z.string().min(1).optional(),
  SLACK_API_URL: z.url('an http(s) URL such as https://slack.com/api/').optional(),
  SLACK_DEFAULT_VISIBILITY: z.enum(['channel', 'private'], 'use "channel" or "private"').default('channel'),
  SLACK_PRIVATE_CHANNELS: channelList,
  PGMEDIC_OPS_TOKEN: z.string().min(16, 'at least 16 characters (e.g. openssl rand -hex 24)').optional(),
  PGMEDIC_OPS_CACHE_SECONDS: z.coerce.number('a number of seconds').min(0).max(60).default(5),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error'], 'use trace, debug, info, warn or error')
    .default('info'),
});

/** Reads the Slack settings; every problem becomes one line of the thrown config_invalid error. */
export function loadSlackConfig(env: Env = process.env): SlackConfig {
  const present = presentValues(env);
  const parsed = envSchema.safeParse(present);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => describeIssue(issue, present))),
    ...modeProblems(present),
  ];
  if (problems.length || !parsed.success) throw new AppError('config_invalid', problems.join('\n'));
  const data = parsed.data;
  return {
    mode: data.SLACK_MODE,
    botToken: data.SLACK_BOT_TOKEN,
    appToken: data.SLACK_APP_TOKEN,
    signingSecret: data.SLACK_SIGNING_SECRET,
    port: data.PORT,
    host: data.PGMEDIC_LISTEN_HOST,
    apiUrl: data.SLACK_API_URL && (data.SLACK_API_URL.endsWith('/') ? data.SLACK_API_URL : `${data.SLACK_API_URL}/`),
    defaultVisibility: data.SLACK_DEFAULT_VISIBILITY,
    privateChannels: new Set(data.SLACK_PRIVATE_CHANNELS),
    logLevel: data.LOG_LEVEL,
    opsToken: data.PGMEDIC_OPS_TOKEN,
    opsCacheSeconds: data.PGMEDIC_OPS_CACHE_SECONDS,
  };
}

/** Settings one mode needs and the other does not (read from the raw values so every problem shows at once). */
function modeProblems(env: Record<string, string | undefined>): string[] {
  const mode = env.SLACK_MODE ?? 'socket';
  if (mode === 'socket' && !env.SLACK_APP_TOKEN) {
    return [
      'SLACK_APP_TOKEN: missing; socket mode needs an app-level token (Basic Information → App-Level Tokens, scope connections:write), or set SLACK_MODE=http',
    ];
  }
  if (mode === 'http' && !env.SLACK_SIGNING_SECRET) {
    return ['SLACK_SIGNING_SECRET: missing; http mode needs the signing secret (Basic Information → App Credentials)'];
  }
  return [];
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const key = String(issue.path[0] ?? '(environment)');
  const given = env[key];
  // Secrets never reach the log, not even a malformed one.
  const shown = given === undefined ? 'missing' : SECRET_KEYS.has(key) ? 'malformed' : `got ${JSON.stringify(given)}`;
  return `${key}: ${shown}; ${issue.message}`;
}
