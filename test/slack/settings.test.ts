import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { loadSlackConfig } from '../../src/config/slack.js';
import { boltLogger } from '../../src/log/bolt.js';
import { createLogger } from '../../src/log/logger.js';
import { redactText } from '../../src/log/redact.js';
import { createDeliveryDedupe, deliveryKey } from '../../src/slack/dedupe.js';
import { parseSlashText } from '../../src/slack/parse.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
      done();
    },
  });
  return { lines, destination };
}

describe('Slack settings', () => {
  it('reports every problem on its own line and never echoes a secret', () => {
    expect(() =>
      loadSlackConfig({
        SLACK_MODE: 'http',
        SLACK_BOT_TOKEN: 'xoxp-secret-user-token',
        PORT: 'eighty',
        SLACK_DEFAULT_VISIBILITY: 'loud',
      }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [AppError: SLACK_BOT_TOKEN: malformed; a bot token starts with xoxb-
      PORT: got "eighty"; a port number
      SLACK_DEFAULT_VISIBILITY: got "loud"; use "channel" or "private"
      SLACK_SIGNING_SECRET: missing; http mode needs the signing secret (Basic Information → App Credentials)]
    `);
  });

  it('defaults to socket mode, which needs the app-level token', () => {
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /^SLACK_APP_TOKEN: missing; socket mode needs an app-level token/,
    );
    expect(
      loadSlackConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_PRIVATE_CHANNELS: 'C1AB, C2CD' }),
    ).toMatchObject({
      mode: 'socket',
      port: 3000,
      defaultVisibility: 'channel',
      privateChannels: new Set(['C1AB', 'C2CD']),
    });
  });
});

describe('bot start-up', () => {
  it('stops with one clear line per bad setting and exit code 2', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH,
        SLACK_MODE: 'http',
        SLACK_BOT_TOKEN: 'xoxb-ok',
        DATABASE_URL: 'mysql://user:hunter2@db/app',
      },
    });
    const failure = (await run.then(
      () => undefined,
      (error: unknown) => error,
    )) as { code: number; stderr: string };
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim().split('\n')).toEqual([
      'pgmedic: DATABASE_URL: url: got "mysql://[redacted]@db/app"; a postgres:// connection URL',
      'pgmedic: SLACK_SIGNING_SECRET: missing; http mode needs the signing secret (Basic Information → App Credentials)',
    ]);
  });
});

describe('logging', () => {
  it('scrubs tokens, passwords and connection strings from messages and fields', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.info(
      { url: 'postgres://u:p@h/db', nested: { token: 'xoxb-1-2' } },
      'connecting to postgres://admin:s3cret@db:5432/app with xoxb-123-456 and password=hunter2',
    );
    const line = JSON.stringify(lines[0]);
    for (const secret of ['s3cret', 'xoxb-123', 'hunter2', 'u:p@', 'xoxb-1-2']) expect(line).not.toContain(secret);
    expect(redactText('Bearer xoxb-abc xapp-1-A-2 postgresql://me:pw@host/db')).toBe(
      'Bearer [redacted] xapp-[redacted] postgresql://[redacted]@host/db',
    );
  });

  it('adapts pino for Bolt, which renames and re-levels it', () => {
    const { lines, destination } = capture();
    const logger = boltLogger(createLogger({ level: 'info', destination }));
    logger.setName('bolt-app');
    logger.setLevel(LogLevel.WARN);
    logger.info('hidden');
    logger.warn('shown', { token: 'xoxb-9-9' }, new Error('boom'));
    expect(logger.getLevel()).toBe(LogLevel.WARN);
    expect(lines).toEqual([
      expect.objectContaining({ component: 'bolt-app', level: 40, msg: 'shown {"token":"[redacted]"} Error: boom' }),
    ]);
  });
});

describe('retry dedupe', () => {
  it('remembers deliveries for its window only', () => {
    let now = 0;
    const dedupe = createDeliveryDedupe({ windowMs: 1000, now: () => now });
    expect([dedupe.firstDelivery('a'), dedupe.firstDelivery('a'), dedupe.firstDelivery('b')]).toEqual([
      true,
      false,
      true,
    ]);
    now = 1500;
    expect(dedupe.firstDelivery('a')).toBe(true);
    expect(deliveryKey({ event_id: 'Ev1', trigger_id: 't' })).toBe('event_id:Ev1');
    expect(deliveryKey({ trigger_id: 't' })).toBe('trigger_id:t');
  });
});

describe('parseSlashText', () => {
  const context = { targetNames: ['prod', 'replica'], defaultTarget: 'prod' };
  it('takes the target positionally or by flag, and Slack-level flags out of the options', () => {
    expect(parseSlashText('locks replica --limit 3 --private', context)).toMatchObject({
      kind: 'run',
      target: 'replica',
      options: { limit: 3 },
      visibility: 'private',
    });
    expect(parseSlashText('locks --target=replica --public', context)).toMatchObject({
      target: 'replica',
      visibility: 'channel',
    });
    expect(parseSlashText('locks', context)).toMatchObject({ target: 'prod', options: { limit: 10 } });
    expect(parseSlashText('  ', context)).toEqual({ kind: 'help' });
  });
  it('asks for a target when neither the channel nor the workspace has a default', () => {
    expect(() => parseSlashText('locks', { targetNames: ['a', 'b'], defaultTarget: undefined })).toThrow(
      'This channel has no default target, so name one.',
    );
  });
});
