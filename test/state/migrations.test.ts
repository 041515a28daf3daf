import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/state/audit.js';
import { MIGRATIONS, migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(18);
  const admin = await connect(server.url());
  await admin.query('CREATE DATABASE state_a');
  await admin.query('CREATE DATABASE state_b');
  await admin.end();
});
afterAll(async () => {
  await server?.stop();
});

describe('state database migrations', () => {
  it('apply each version exactly once when four copies start at the same moment', async () => {
    const pools = Array.from({ length: 4 }, () => createStatePool(server.url('state_a')));
    try {
      const applied = await Promise.all(pools.map((pool) => migrateStateDatabase(pool)));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(applied.filter((versions) => versions.length === 0)).toHaveLength(3);
      const { rows } = await pools[0]!.query<{ version: number; name: string }>(
        'SELECT version, name FROM pgmedic.schema_migrations ORDER BY version',
      );
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      expect(await migrateStateDatabase(pools[1]!)).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('keeps the audit log append-only: UPDATE, DELETE and TRUNCATE are refused, even for the owner', async () => {
    const pool = createStatePool(server.url('state_b'));
    try {
      await migrateStateDatabase(pool);
      await appendAudit(pool, {
        event: 'requested',
        requestId: 'r1',
        actor: 'U1',
        channel: 'C1',
        target: 'prod',
        action: 'terminate',
        statement: 'SELECT 1',
      });
      for (const sql of [
        "UPDATE pgmedic.audit_log SET actor = 'U2'",
        'DELETE FROM pgmedic.audit_log',
        'TRUNCATE pgmedic.audit_log',
      ]) {
        const error = await pool.query(sql).then(
          () => null,
          (e: pg.DatabaseError) => e,
        );
        expect(error).toMatchObject({
          code: '42501',
          message: expect.stringMatching(/^pgmedic\.audit_log is append-only: (UPDATE|DELETE|TRUNCATE) refused$/),
        });
      }
      const { rows } = await pool.query('SELECT event, actor FROM pgmedic.audit_log');
      expect(rows).toEqual([{ event: 'requested', actor: 'U1' }]);
    } finally {
      await pool.end();
    }
  });

  it('rolls back a failing migration as a whole and records nothing for it', async () => {
    const pool = createStatePool(server.url('state_b'));
    try {
      const broken = [
        ...MIGRATIONS,
        { version: 999, name: 'broken', sql: 'CREATE TABLE pgmedic.half_done (id int); SELECT 1/0' },
      ];
      await expect(migrateStateDatabase(pool, broken)).rejects.toThrow('division by zero');
      const { rows } = await pool.query(
        "SELECT to_regclass('pgmedic.half_done') AS t, (SELECT max(version) FROM pgmedic.schema_migrations) AS v",
      );
      expect(rows).toEqual([{ t: null, v: MIGRATIONS.at(-1)!.version }]);
      // The advisory lock was released: a later start still migrates.
      expect(await migrateStateDatabase(pool)).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});

describe('the state pool', () => {
  it('tags every statement, so slow-queries on a shared server leaves the bot’s bookkeeping out', async () => {
    const admin = await connect(server.url());
    await admin.query('CREATE DATABASE state_tagged');
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const pool = createStatePool(server.url('state_tagged'));
    try {
      await migrateStateDatabase(pool);
      await appendAudit(pool, { event: 'requested', actor: 'U1', target: 'prod', action: 'terminate' });
      const { rows } = await admin.query<{ query: string }>(
        "SELECT s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'state_tagged' AND s.toplevel",
      );
      // A migration's multi-statement DDL is recorded statement by statement (only its first and last carry the
      // tag); it runs once per version, so only the recurring statements matter here.
      const recurring = rows.filter((r) => !/^\s*(BEGIN|COMMIT|ROLLBACK|CREATE|ALTER|COMMENT|DROP)\b/i.test(r.query));
      expect(recurring.length).toBeGreaterThan(3);
      expect(recurring.filter((r) => !r.query.includes('/* pgmedic:state */'))).toEqual([]);
    } finally {
      await pool.end();
      await admin.end();
    }
  });
});
