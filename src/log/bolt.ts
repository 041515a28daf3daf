import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from './logger.js';
import { redactText } from './redact.js';

/**
 * Bolt's Logger on top of pino. Bolt renames and re-levels the logger it shares with the Web API client,
 * so both operations act on a child logger and never touch the parent's level.
 */
export function boltLogger(parent: Logger, name = 'bolt'): BoltLogger {
  let level: LogLevel = toBoltLevel(parent.level);
  let child = parent.child({ component: name }, { level });
  // Bolt logs debug lines on every request: they are dropped before being joined and scrubbed, not after.
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...messages: unknown[]) => {
      if (child.isLevelEnabled(method)) child[method](redactText(messages.map(describe).join(' ')));
    };
  return {
    setLevel(next) {
      level = next;
      child.level = next;
    },
    getLevel: () => level,
    setName(next) {
      child = parent.child({ component: next }, { level });
    },
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}

function toBoltLevel(level: string): LogLevel {
  if (level === 'trace' || level === 'debug') return LogLevel.DEBUG;
  if (level === 'warn') return LogLevel.WARN;
  if (level === 'error' || level === 'fatal') return LogLevel.ERROR;
  return LogLevel.INFO;
}

function describe(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return `${message.name}: ${message.message}`;
  try {
    return JSON.stringify(message);
  } catch {
    return String(message);
  }
}
