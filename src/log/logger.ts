import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/slack.js';
import { REDACTED_PATHS, redactText, redactValue } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON; the default follows whether stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go (tests capture them); stdout by default. */
  destination?: pino.DestinationStream;
}

/** JSON logs in production, pretty on a terminal; secrets censored by path and scrubbed from every message. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? (Boolean(process.stdout.isTTY) && !options.destination);
  const settings: pino.LoggerOptions = {
    level: options.level,
    base: { app: 'pgmedic' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    // Every field at any depth (err.config.connectionString, a nested PGPASSWORD=…), not only the paths above.
    formatters: { log: (object) => redactValue(object) as Record<string, unknown> },
    serializers: { err: serializeError },
  };
  if (pretty)
    return pino({
      ...settings,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** Errors keep their message and code; stacks are logged (never shown in Slack), with secrets scrubbed. */
function serializeError(error: unknown): unknown {
  return error instanceof Error ? redactValue(pino.stdSerializers.err(error)) : redactValue(error);
}
