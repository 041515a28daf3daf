import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeIdentifier, escapeLiteral } from '../../src/db/driver.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;
let client: pg.Client;

const HOSTILE = [
  '',
  'plain',
  "it's",
  "''",
  "'; DROP TABLE victims; --",
  '"',
  '""; DROP TABLE victims; --',
  'back\\slash',
  "\\'; DROP TABLE victims; --",
  '\\',
  'trailing\\',
  '$$ dollar $$',
  "E'x'",
  'tab\tnew\nline\rcr',
  'ünïcødé ✓ 表 🐘 \u200b\u202e',
  '\x1b]0;owned\x07',
];

beforeAll(async () => {
  server = await startTestServer(18);
  client = await connect(server.url());
  await client.query('CREATE TABLE victims (id int)');
});
afterAll(async () => {
  await client?.end();
  await server?.stop();
});

describe('escapeLiteral', () => {
  it('reads back exactly the text it quoted, with standard_conforming_strings on and off', async () => {
    for (const conforming of ['on', 'off']) {
      await client.query(`SET standard_conforming_strings = ${conforming}`);
      for (const text of HOSTILE) {
        const { rows } = await client.query<{ v: string }>(`SELECT ${escapeLiteral(text)} AS v`);
        expect({ conforming, text, got: rows[0]!.v }).toEqual({ conforming, text, got: text });
      }
    }
    await client.query('RESET standard_conforming_strings');
    expect((await client.query("SELECT to_regclass('victims') IS NOT NULL AS there")).rows[0]).toEqual({ there: true });
  });

  it("writes the E'' form only when the text has a backslash", () => {
    expect(escapeLiteral("it's")).toBe("'it''s'");
    expect(escapeLiteral('a\\b')).toBe(" E'a\\\\b'");
  });
});

describe('escapeIdentifier', () => {
  it('names exactly the identifier it quoted', async () => {
    for (const name of HOSTILE.filter((n) => n !== '')) {
      const { fields } = await client.query(`SELECT 1 AS ${escapeIdentifier(name)}`);
      expect(fields.map((f) => f.name)).toEqual([name]);
      await client.query(`CREATE TABLE ${escapeIdentifier(name)} (id int)`);
      const { rows } = await client.query<{ relname: string }>('SELECT relname FROM pg_class WHERE relname = $1', [
        name,
      ]);
      expect(rows).toEqual([{ relname: name }]);
      await client.query(`DROP TABLE ${escapeIdentifier(name)}`);
    }
    expect((await client.query("SELECT to_regclass('victims') IS NOT NULL AS there")).rows[0]).toEqual({ there: true });
  });

  it('doubles embedded double quotes and nothing else', () => {
    expect(escapeIdentifier('a"b\\c\'d')).toBe('"a""b\\c\'d"');
  });
});

describe('NUL', () => {
  it('is refused by both, with a clear message, where PostgreSQL would refuse it too', async () => {
    expect(() => escapeLiteral('a\0b')).toThrow(/NUL character/);
    expect(() => escapeIdentifier('a\0b')).toThrow(/NUL character/);
    // The server cannot store it either: as a parameter it is an encoding error.
    await expect(client.query('SELECT $1::text', ['a\0b'])).rejects.toThrow(/0x00/);
  });
});
