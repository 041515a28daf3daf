import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/embedded/cluster.js';
import type { Target } from '../src/db/targets.js';
import { AppError } from '../src/errors.js';
import { listCommands } from '../src/engine/registry.js';
import { renderText } from '../src/report/text.js';
import { connect } from './support/clients.js';
import { run, testTarget } from './support/engine.js';
import { startTestServer, type TestServer } from './support/pg.js';
import { holdExclusiveLock, type ExclusiveLock } from './support/scenarios/exclusive-lock.js';

/** Variants that make the size-heavy commands reach the locked table. */
const VARIANTS: Record<string, string[]> = {
  bloat: ['--min-size', '0', '--exact'],
  indexes: ['--min-size', '0'],
};

/** Commands that call size functions on relations and must say which ones they skipped. */
const NAMES_SKIPPED = ['sizes', 'bloat'];

describe('while a migration holds ACCESS EXCLUSIVE on a table', () => {
  let server: TestServer;
  let target: Target;
  let lock: ExclusiveLock;

  beforeAll(async () => {
    server = await startTestServer(18);
    const setup = await connect(server.url());
    await setup.query('CREATE EXTENSION pgstattuple; CREATE EXTENSION pg_stat_statements');
    await setup.end();
    lock = await holdExclusiveLock(server.url());
    await lock.addWaiter();
    // The bot's usual lock_timeout: a diagnostic that queued behind the lock would fail with lock_timeout.
    target = testTarget(server.url(), { lockTimeoutMs: 500 });
  });

  afterAll(async () => {
    await lock?.release();
    await lock?.close();
    await target?.close();
    await server?.stop();
  });

  it.each(listCommands('diagnostic').map((c) => c.name))('%s still answers', async (name) => {
    const result = await run(target, name, VARIANTS[name] ?? []);
    expect(['ok', 'warn', 'crit']).toContain(result.status);
    if (NAMES_SKIPPED.includes(name)) {
      expect(renderText(result.report, undefined, { color: false })).toContain(lock.table);
    }
  });

  it('locks names the migration as the root blocker', async () => {
    const result = await run(target, 'locks');
    expect((result.findings as { rootPids: number[] }).rootPids).toEqual([lock.holderPid]);
  });
});

describe('when the target is down', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentPort: number;
  let refusedPort: number;

  beforeAll(async () => {
    // Accepts TCP connections and never answers, like a host whose PostgreSQL hangs.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
    do
      refusedPort = await freePort(); // nothing listens there
    while (refusedPort === silentPort);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const down = [
    [
      'refuses connections',
      () => `postgres://postgres@127.0.0.1:${refusedPort}/postgres`,
      /^Could not connect to target "test": nothing accepts connections at its address\.$/,
    ],
    [
      'accepts but never answers',
      () => `postgres://postgres@127.0.0.1:${silentPort}/postgres`,
      /Could not connect to target "test": the connection timed out\./,
    ],
  ] as const;

  describe.each(down)('a server that %s', (_, url, message) => {
    it.each(listCommands('diagnostic').map((c) => c.name))('%s fails with a clear error', async (name) => {
      const target = testTarget(url(), { connectTimeoutMs: 1000 });
      try {
        const error = await run(target, name).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('target_unreachable');
        expect((error as AppError).message).toMatch(message);
        expect((error as AppError).hint).toBe(
          'Check that the server is up and reachable from the bot, then try again.',
        );
      } finally {
        await target.close();
      }
    });
  });
});
