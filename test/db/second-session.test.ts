import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;
let target: Target;

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url(), { poolSize: 2 });
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

const backendPid = (t: Target, version: number) =>
  t.readOnlyIfFree!(
    'test',
    version,
    async (s) => (await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid,
  );

describe('a command’s second session', () => {
  it('is another connection while the pool has one to give, and none once every connection is held', async () => {
    const { serverVersionNum } = await target.capabilities();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = target.readOnly('test', async (s) => {
      const [own] = await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const second = await backendPid(target, serverVersionNum);
      expect(second).not.toBe(own!.pid);
      // Both connections are out now: asking again gives nothing rather than queueing behind the pool.
      const blocker = target.readOnly('test', async () => {
        expect(target.readOnlyIfFree!('test', serverVersionNum, async () => 0)).toBeUndefined();
        await held;
      });
      return blocker;
    });
    const admin = await connect(server.url());
    try {
      const seen = async () =>
        (
          await admin.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'pgmedic-%' AND backend_type = 'client backend'",
          )
        ).rows[0]!.n;
      for (let i = 0; i < 100 && (await seen()) < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await seen()).toBe(2);
    } finally {
      await admin.end();
    }
    release();
    await first;
    // Released: there is one to give again.
    expect(await backendPid(target, serverVersionNum)).toBeGreaterThan(0);
  });
});
