import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAppError } from '../../src/db/sqlstate.js';
import { describeError, withoutAddresses } from '../../src/errors.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

// What users read when a target fails names the target and the cause, never the internal address.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(18);
});
afterAll(() => server?.stop());

const failure = async (url: string) =>
  describeError(
    await run(testTarget(url, { connectTimeoutMs: 2000 }), 'health').then(
      () => undefined,
      (e: unknown) => e,
    ),
  ).text;
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('error messages name the target and the cause, not the address', () => {
  it('a refused connection, an unknown role, a host that does not resolve: no host, port, address or role', async () => {
    const port = new URL(server.url()).port;
    const texts = [
      await failure('postgres://postgres@127.0.0.1:1/postgres'),
      await failure(`postgres://nobody_here_x:wrong@127.0.0.1:${port}/postgres`),
      await failure(`postgres://postgres@db-internal-name.invalid:${port}/postgres`),
    ];
    expect(texts[0]).toMatch(/^Could not connect to target "test": nothing accepts connections at its address\./);
    expect(texts[1]).toMatch(
      /^The server for target "test" refused the login: the role does not exist or may not log in\./,
    );
    expect(texts[2]).toMatch(
      /^Could not connect to target "test": (its host name (does not|could not) (resolve|be resolved right now)|the connection timed out)\./,
    );
    expect(texts.filter((t) => /127\.0\.0\.1|db-internal-name|nobody_here_x|:\d{2,5}\b/.test(t))).toEqual([]);
  });

  it('server messages that carry addresses are scrubbed', () => {
    const hba = toAppError(
      pgError('28000', 'no pg_hba.conf entry for host "10.1.2.3", user "monitor", database "app", no encryption'),
      { target: 'prod' },
    );
    expect(hba.message).toBe(
      'The server for target "prod" refused the login: its pg_hba.conf does not allow this login.',
    );
    const other = toAppError(
      pgError(
        'XX000',
        'could not connect to server at db.internal:5432 (10.1.2.3:5432) via [fe80::1]:5432, host "db.internal"',
      ),
      { target: 'prod' },
    );
    expect(other.message).not.toMatch(/db\.internal|10\.1\.2\.3|fe80|5432/);
    expect(withoutAddresses('socket "/var/run/postgresql/.s.PGSQL.5432" and 2001:db8:0:0:0:0:0:1')).toBe(
      'socket "…" and <address>',
    );
    expect(describeError(new Error('connect ECONNREFUSED 10.0.0.5:5432')).text).not.toContain('10.0.0.5');
  });
});
