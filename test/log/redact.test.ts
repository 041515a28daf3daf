import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { redactText } from '../../src/log/redact.js';

/** Every JSON line a real logger wrote. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), text: () => lines.join('\n') };
}

const SECRETS = [
  's3cr3t-nested',
  'p@ss/w rd-url',
  'env-pgpass',
  'json-pw',
  'xoxb-111-222-abc',
  'hunter2-sql',
  'deep-pw',
  'cause-pw',
  'array-pw',
  'sig-secret',
  'quoted pw',
];

describe('no secret reaches a log line, however deep', () => {
  it('redacts nested objects, URL passwords with @ / and spaces, PGPASSWORD=, JSON "password", SQL PASSWORD, errors and their causes', () => {
    const { logger, text } = capture();
    const err = Object.assign(new Error('connect failed for postgres://app:p@ss/w rd-url@db.internal:5432/app'), {
      config: { connectionString: 'postgres://app:s3cr3t-nested@db:5432/app', password: 'deep-pw', host: 'db' },
      cause: new Error('PGPASSWORD=env-pgpass psql -h db'),
    });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.error({ err }, 'target failed');
    logger.warn(
      {
        request: {
          body: '{"password": "json-pw", "user": "app"}',
          headers: { authorization: 'Bearer xoxb-111-222-abc' },
        },
      },
      'odd request',
    );
    logger.info(
      {
        statement: "ALTER ROLE app PASSWORD 'hunter2-sql'",
        detail: { list: [{ pwd: 'array-pw' }, 'signing_secret=sig-secret'] },
        circular,
      },
      'ran',
    );
    logger.info(`libpq: host=db password='quoted pw' dbname=app and ${err.message}`);
    logger.error(
      { wrapped: { inner: { cause: new Error('inner failure', { cause: { password: 'cause-pw' } }) } } },
      'nested error',
    );
    const written = text();
    expect(SECRETS.filter((s) => written.includes(s))).toEqual([]);
    // What is not secret stays: the host, the message, the role name.
    expect(written).toContain('db.internal:5432/app');
    expect(written).toContain('ALTER ROLE app PASSWORD');
    expect(written).toContain('[circular]');
  });

  it('scrubs free text', () => {
    expect(redactText('postgres://u:a@b/c d@host:5432/db')).toBe('postgres://[redacted]@host:5432/db');
    expect(redactText('PGPASSWORD=x1 SLACK_SIGNING_SECRET=x2 PGMEDIC_OPS_TOKEN=x3')).toBe(
      'PGPASSWORD=[redacted] SLACK_SIGNING_SECRET=[redacted] PGMEDIC_OPS_TOKEN=[redacted]',
    );
    expect(redactText('{"password":"a\\"b","dbPassword": "c"}')).toBe(
      '{"password":"[redacted]","dbPassword": "[redacted]"}',
    );
    expect(redactText("CREATE USER x WITH ENCRYPTED PASSWORD E'it\\'s' LOGIN")).toBe(
      "CREATE USER x WITH ENCRYPTED PASSWORD '[redacted]' LOGIN",
    );
    expect(redactText('ALTER ROLE x PASSWORD $$dollar$$')).toBe("ALTER ROLE x PASSWORD '[redacted]'");
  });
});
