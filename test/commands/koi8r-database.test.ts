import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { listCommands } from '../../src/engine/registry.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

/**
 * The server converts every statement from the client's UTF-8 to the database's encoding, comments included: a
 * character KOI8-R lacks (µ, →, …) anywhere in a command's SQL fails that command in such a database.
 */
describe.each([14, 18] as const)('every diagnostic in a KOI8-R database on PostgreSQL %i', (major) => {
  let server: TestServer;
  let target: Target;

  beforeAll(async () => {
    server = await startTestServer(major);
    const admin = await connect(server.url(), 'seed');
    await admin.query(`CREATE DATABASE koi TEMPLATE template0 ENCODING 'KOI8R' LC_COLLATE 'C' LC_CTYPE 'C'`);
    await admin.end();
    const client = await connect(server.url('koi'), 'seed');
    await client.query(`CREATE EXTENSION pg_stat_statements; CREATE TABLE orders (id int PRIMARY KEY, note text);
      INSERT INTO orders SELECT g, 'x' FROM generate_series(1, 1000) g; CREATE INDEX orders_note ON orders (note);
      CREATE SEQUENCE small_seq; ANALYZE orders`);
    await client.end();
    target = testTarget(server.url('koi'));
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it.each(listCommands('diagnostic').map((c) => c.name))('%s answers', async (name) => {
    const tokens = name === 'explain' ? ['SELECT 1'] : [];
    const result = await run(target, name, tokens);
    expect(result.command).toBe(name);
    expect(result.report.title.length).toBeGreaterThan(0);
  });
});
