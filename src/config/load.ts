import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { targetSchema, type Config } from './schema.js';

export type Env = Record<string, string | undefined>;

let dotEnvRead = false;

/**
 * The process environment: src/config is the one place that reads it; entry points pass it on from here.
 * A `.env` file in the working directory is read once, first; variables already set win over it.
 */
export function currentEnv(): Env {
  if (!dotEnvRead) {
    dotEnvRead = true;
    if (existsSync('.env')) process.loadEnvFile('.env');
  }
  return process.env;
}

export { wantsColor } from './terminal.js';

/**
 * The only place that reads process.env; everything else receives a Config. Asynchronous because the YAML parser
 * and the file's schema (with node-cron's parser for its cron expressions) are loaded only when there is a file:
 * a check run every minute from DATABASE_URL does not pay for them.
 */
export async function loadConfig(env: Env = currentEnv()): Promise<Config> {
  const path = env.PGMEDIC_CONFIG;
  if (path) return loadConfigFile(path, env);
  const url = env.DATABASE_URL ?? libpqUrl(env);
  const targets = url ? [parseOrThrow(targetSchema, { name: 'default', url }, 'DATABASE_URL')] : [];
  return { targets, defaultTarget: targets[0]?.name };
}

async function loadConfigFile(path: string, env: Env): Promise<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AppError(
      'config_invalid',
      `Cannot read the config file ${path} named by PGMEDIC_CONFIG (${(error as Error).message}).`,
    );
  }
  const { fileConfigSchema, parseYaml } = await import('./file-schema.js');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new AppError('config_invalid', `The config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  const file = parseOrThrow(fileConfigSchema, substituteEnv(raw, env, path), path);
  const names = new Set<string>();
  for (const target of file.targets) {
    if (names.has(target.name))
      throw new AppError(
        'config_invalid',
        `${path}: targets: the name "${target.name}" is used twice; give each target its own name.`,
      );
    names.add(target.name);
    if ((target.include || target.exclude) && !target.discover)
      throw new AppError(
        'config_invalid',
        `${path}: targets: "${target.name}" has include/exclude patterns but no \`discover: all-databases\`; add it, or remove the patterns.`,
      );
  }
  if (file.defaultTarget && !names.has(file.defaultTarget)) {
    throw new AppError(
      'config_invalid',
      `${path}: defaultTarget "${file.defaultTarget}" is not one of the targets (${[...names].join(', ')}).`,
    );
  }
  return {
    targets: file.targets,
    defaultTarget: file.defaultTarget ?? file.targets[0]?.name,
    ...(file.healing ? { healing: file.healing } : {}),
    ...(file.digests ? { digests: file.digests } : {}),
    ...(file.alerts ? { alerts: file.alerts } : {}),
    ...(file.discovery ? { discovery: file.discovery } : {}),
  };
}

/** Replaces `${NAME}` in every string so secrets stay in the environment. */
export function substituteEnv(value: unknown, env: Env, source: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined)
        throw new AppError(
          'config_invalid',
          `${source}: refers to \${${name}}, but the environment variable ${name} is not set.`,
        );
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substituteEnv(item, env, source));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, source)]));
  }
  return value;
}

/** The libpq variables that name a database, as psql reads them. */
export const LIBPQ_DATABASE_KEYS = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE'] as const;

/**
 * With libpq variables and no DATABASE_URL, the target's URL is the empty `postgres://`: node-postgres then reads
 * PGHOST (a socket directory too), PGPORT, PGUSER (the OS user by default), PGPASSWORD, PGDATABASE, PGSSLMODE and
 * ~/.pgpass (PGPASSFILE) itself, exactly as psql would. Rebuilding a URL by hand got socket directories wrong.
 */
function libpqUrl(env: Env): string | undefined {
  if (!LIBPQ_DATABASE_KEYS.some((key) => env[key])) return undefined;
  if (env.PGSERVICE) {
    throw new AppError(
      'config_invalid',
      `PGSERVICE=${env.PGSERVICE} is set, but node-postgres does not read pg_service.conf: set DATABASE_URL (or PGHOST, PGPORT, PGDATABASE, PGUSER) instead.`,
    );
  }
  if (env.PGHOSTADDR && !env.PGHOST) {
    throw new AppError(
      'config_invalid',
      'PGHOSTADDR is set without PGHOST; node-postgres reads PGHOST only: set PGHOST to the address.',
    );
  }
  return 'postgres://';
}

/** Validates with zod and reports every problem by key, value and what is allowed. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, source: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(top level)';
    const given = valueAt(value, issue.path);
    const shown = given === undefined ? 'missing' : `got ${JSON.stringify(redact(key, given))}`;
    return `${source}: ${key}: ${shown}; ${issue.message}`;
  });
  throw new AppError('config_invalid', lines.join('\n'));
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (current, key) =>
      current && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined,
    value,
  );
}

function redact(key: string, value: unknown): unknown {
  return /url|password|token|secret/i.test(key) && typeof value === 'string'
    ? value.replace(/\/\/[^@/]*@/, '//***@')
    : value;
}
