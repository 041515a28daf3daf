import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser } from '../../src/redact/parser.js';
import { HIDDEN_QUERY, showQueryText, withoutLiterals, withoutPasswords } from '../../src/redact/query-text.js';
import { scanConservatively } from '../../src/redact/sql-tokens.js';

/**
 * Statements as pg_stat_activity shows them. `secrets` must not survive in any mode; `literals` (other data)
 * must not survive redaction. Texts cut at track_activity_query_size end where the cut fell.
 */
const PASSWORDS: { sql: string; secrets: string[] }[] = [
  { sql: "ALTER ROLE app PASSWORD 'hunter2-secret'", secrets: ['hunter2-secret'] },
  { sql: "alter role app with password 'hunter2-secret'", secrets: ['hunter2-secret'] },
  { sql: "ALTER USER app ENCRYPTED PASSWORD 'hunter2-secret'", secrets: ['hunter2-secret'] },
  { sql: "CREATE ROLE app LOGIN PASSWORD 'hunter2-secret' VALID UNTIL '2030-01-01'", secrets: ['hunter2-secret'] },
  { sql: "CREATE USER app WITH ENCRYPTED PASSWORD 'hunter2-secret' CONNECTION LIMIT 5", secrets: ['hunter2-secret'] },
  { sql: "CREATE ROLE app WITH LOGIN SUPERUSER PASSWORD 'it''s-a-s3cret'", secrets: ["it''s-a-s3cret", 's3cret'] },
  { sql: "ALTER ROLE app PASSWORD E'back\\'slash-s3cret'", secrets: ['slash-s3cret', "back\\'"] },
  { sql: "ALTER ROLE app PASSWORD e'hex\\x41-s3cret'", secrets: ['hex\\x41-s3cret'] },
  { sql: 'ALTER ROLE app PASSWORD $$dollar-s3cret$$', secrets: ['dollar-s3cret'] },
  { sql: 'ALTER ROLE app PASSWORD $pw$tagged $$ s3cret$pw$', secrets: ['tagged', 's3cret'] },
  { sql: "ALTER ROLE app PASSWORD U&'uni\\0061code-s3cret'", secrets: ['code-s3cret'] },
  { sql: "ALTER ROLE app PASSWORD /* the new one */ 'commented-s3cret'", secrets: ['commented-s3cret'] },
  { sql: "ALTER ROLE app PASSWORD -- rotated\n 'newline-s3cret'", secrets: ['newline-s3cret'] },
  {
    sql: "ALTER ROLE app PASSWORD 'md5a3556571e93b0d20722ba62be61e8c2d'",
    secrets: ['md5a3556571e93b0d20722ba62be61e8c2d'],
  },
  {
    sql: "ALTER ROLE app PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy'",
    secrets: ['c2FsdA==', 'SCRAM-SHA-256$4096'],
  },
  { sql: 'ALTER ROLE "Odd Name" PASSWORD \'quoted-role-s3cret\'', secrets: ['quoted-role-s3cret'] },
  {
    sql: "ALTER ROLE app PASSWORD 'multi-s3cret'; SELECT 1; ALTER USER b PASSWORD 'second-s3cret'",
    secrets: ['multi-s3cret', 'second-s3cret'],
  },
  { sql: "BEGIN; CREATE ROLE x PASSWORD 'in-tx-s3cret'; COMMIT", secrets: ['in-tx-s3cret'] },
  { sql: "ALTER ROLE app PASSWORD 'cut-at-track-activ", secrets: ['cut-at-track-activ'] },
  { sql: "ALTER ROLE app PASSWORD E'cut\\' still-s3cret", secrets: ['still-s3cret', 'cut'] },
  { sql: 'ALTER ROLE app PASSWORD $$cut-dollar-s3cret', secrets: ['cut-dollar-s3cret'] },
  { sql: "ALTER ROLE app PASSWORD 'café-ünïcode-s3cret' LOGIN", secrets: ['ünïcode-s3cret'] },
  { sql: "SELECT 'ñ'; ALTER ROLE app PASSWORD 'after-multibyte-s3cret'", secrets: ['after-multibyte-s3cret'] },
  {
    sql: "CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'app', password 'fdw-s3cret')",
    secrets: ['fdw-s3cret'],
  },
  { sql: "SELECT dblink_connect('host=db user=app password=dblink-s3cret')", secrets: ['dblink-s3cret'] },
  { sql: "UPDATE accounts SET password = 'column-s3cret' WHERE id = 1", secrets: ['column-s3cret'] },
  { sql: "SELECT set_config('my.pwd', 'guc-s3cret', false) /* password */", secrets: [] },
  { sql: "ALTER ROLE app PASSWORD 'a' || 'b' -- not SQL, still a literal after PASSWORD", secrets: [] },
  { sql: "alter role app password'no-space-s3cret'", secrets: ['no-space-s3cret'] },
  { sql: "ALTER ROLE app PASSWORD\t'tab-s3cret'", secrets: ['tab-s3cret'] },
  {
    sql: "ALTER ROLE app IN DATABASE db SET search_path = public; ALTER ROLE app PASSWORD 'after-set-s3cret'",
    secrets: ['after-set-s3cret'],
  },
  { sql: "CREATE ROLE app PASSWORD 'unclosed /* comment s3cret", secrets: ['comment s3cret', 'unclosed'] },
];

const LITERALS: { sql: string; literals: string[] }[] = [
  {
    sql: "SELECT * FROM customers WHERE email = 'alice@example.com' AND id = 4242",
    literals: ['alice@example.com', '4242'],
  },
  { sql: "UPDATE accounts SET balance = balance - 100.50 WHERE iban = E'DE89\\'3704'", literals: ['100.50', 'DE89'] },
  {
    sql: "INSERT INTO notes VALUES ($tag$private note$tag$, $$another$$, B'1010', X'DEADBEEF', 1e6)",
    literals: ['private note', 'another', '1010', 'DEADBEEF', '1e6'],
  },
  {
    sql: "SELECT 1 /* card 4111-1111 */; SELECT 'ssn 123-45-6789' -- tail 98765",
    literals: ['4111-1111', '123-45-6789', '98765'],
  },
  { sql: "SELECT * FROM orders WHERE note = 'cut mid-li", literals: ['cut mid-li'] },
  {
    sql: "SELECT * FROM orders WHERE note = 'it''s private' AND x IN (7, 8",
    literals: ["it''s private", 'private', '7', '8'],
  },
  { sql: "SELECT U&'d\\0061t\\+000061' AS u, interval '3 days secret'", literals: ['d\\0061t', '3 days secret'] },
  { sql: 'SELECT /* nested /* comment secret */ still */ 1', literals: ['comment secret', 'still'] },
  { sql: 'SELECT $q$ cut inside a dollar quote with 5551234', literals: ['5551234', 'cut inside'] },
  { sql: "SELECT 'a' FROM t WHERE x = 0x1F AND y = 0o17 AND z = 1_000_000", literals: ['0x1F', '0o17', '1_000_000'] },
];

beforeAll(() => loadParser());

describe('query text leaves pgmedic without its secrets', () => {
  it(`${PASSWORDS.length} password statements: no secret survives, in any mode`, () => {
    const survivors = PASSWORDS.flatMap(({ sql, secrets }) =>
      (['full', 'redacted', 'hidden'] as const).flatMap((mode) => {
        const shown = showQueryText(sql, mode);
        return secrets.filter((s) => shown.includes(s)).map(() => `${mode}: ${sql} → ${shown}`);
      }),
    );
    expect(survivors).toEqual([]);
  });

  it(`${LITERALS.length} statements with data: redacted keeps no literal and no comment`, () => {
    const survivors = LITERALS.flatMap(({ sql, literals }) => {
      const shown = withoutLiterals(sql);
      return literals.filter((l) => shown.includes(l)).map(() => `${sql} → ${shown}`);
    });
    expect(survivors).toEqual([]);
  });

  it('keeps what is not secret readable', () => {
    expect(withoutLiterals("SELECT * FROM customers WHERE email = 'a@b' AND id = 42")).toBe(
      'SELECT * FROM customers WHERE email = $1 AND id = $2',
    );
    expect(withoutLiterals('/* pgmedic:locks */ UPDATE accounts SET balance = 1 WHERE id = $1')).toBe(
      'UPDATE accounts SET balance = $2 WHERE id = $1',
    );
    expect(withoutLiterals("SELECT * FROM orders WHERE note = 'cut mid-li")).toBe(
      'SELECT * FROM orders WHERE note = …',
    );
    expect(withoutPasswords("ALTER ROLE app PASSWORD 'x' VALID UNTIL '2030-01-01'")).toBe(
      "ALTER ROLE app PASSWORD '***' VALID UNTIL '2030-01-01'",
    );
    expect(withoutPasswords("SELECT * FROM customers WHERE email = 'a@b'")).toBe(
      "SELECT * FROM customers WHERE email = 'a@b'",
    );
    expect(withoutPasswords("ALTER ROLE app PASSWORD 'cut-at-track")).toBe('ALTER ROLE app PASSWORD …');
    expect(showQueryText('SELECT 1', 'hidden')).toBe(HIDDEN_QUERY);
    expect(showQueryText('', 'hidden')).toBe('');
  });

  it('is idempotent: redacting a redacted text changes nothing', () => {
    for (const { sql } of [...PASSWORDS, ...LITERALS]) {
      const once = withoutLiterals(sql);
      expect(withoutLiterals(once)).toBe(once);
      const full = withoutPasswords(sql);
      expect(withoutPasswords(full)).toBe(full);
    }
  });

  it('the conservative scanner ends the text at an unclosed quote, dollar quote, identifier or comment', () => {
    const last = (sql: string) => scanConservatively(sql).at(-1)!;
    expect(last("select 'abc")).toMatchObject({ kind: 'unterminated', text: "'abc" });
    expect(last('select $a$ abc')).toMatchObject({ kind: 'unterminated' });
    expect(last('select "abc')).toMatchObject({ kind: 'unterminated' });
    expect(last('select /* a /* b */ c')).toMatchObject({ kind: 'unterminated' });
    expect(
      scanConservatively("select E'a\\'b' , 'c''d'")
        .filter((t) => t.kind === 'string')
        .map((t) => t.text),
    ).toEqual(["E'a\\'b'", "'c''d'"]);
  });
});
