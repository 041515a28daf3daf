import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { createTargetPool, logConnectionErrorsTo } from '../../src/db/pools.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(18);
});
afterAll(async () => {
  await server?.stop();
});

describe('pool connection errors', () => {
  it('are logged with the pool they happened in, not swallowed, and the pool keeps serving', async () => {
    const logged: { message: string; connection: string }[] = [];
    logConnectionErrorsTo((error, where) => logged.push({ message: error.message, connection: where.connection }));
    const pool = createTargetPool(targetSchema.parse({ name: 'test', url: server.url() }), undefined, 2);
    try {
      const idle = await pool.connect();
      const { rows } = await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      idle.release();
      // The real thing: the server ends the idle connection (as a restart or an administrator would).
      const admin = await connect(server.url());
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await admin.end();
      await expect.poll(() => logged.length).toBeGreaterThan(0);
      expect(logged[0]).toEqual({ message: expect.stringMatching(/terminat/i), connection: 'target test' });
      const again = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(again.rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
      logConnectionErrorsTo(() => undefined);
    }
  });
});
