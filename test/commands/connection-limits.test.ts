import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionLimit, ConnectionsFindings } from '../../commands/connections.js';
import type { HealthFindings } from '../../commands/health.js';
import type { Target } from '../../src/db/targets.js';
import type { Major } from '../../src/embedded/binaries.js';
import { toJson } from '../../src/report/json.js';
import { connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { asRole } from '../support/least-privilege.js';
import { startTestServer, type TestServer } from '../support/pg.js';

/**
 * Per-database and per-role CONNECTION LIMIT against PostgreSQL's own answer: the server accepts exactly `limit`
 * sessions and refuses the next with 53300, so at that moment pgmedic must count exactly `limit` (and fewer before).
 * Read as a pg_monitor role (exact), and as a role with no grant at all, which sees every session's datid and
 * usesysid but not the backend_type of other roles' sessions, so it counts their walsenders too (never fewer than
 * PostgreSQL does). On the oldest and the newest supported major. `health`, which on-call runs first, judges the
 * same limits with the same statement: crit and named while PostgreSQL refuses, ok once the sessions close.
 */
describe.each([14, 18] as Major[])('connection limits on PostgreSQL %i', (major) => {
  let server: TestServer;
  let observer: pg.Client;
  let monitor: Target;
  let nobody: Target;
  const url = (role: string, database: string) => asRole(server.url(database), role);

  beforeAll(async () => {
    server = await startTestServer(major);
    observer = await connect(server.url(), 'scenario-observer');
    await observer.query(`CREATE ROLE lim_monitor LOGIN PASSWORD 'pw' IN ROLE pg_monitor;
      CREATE ROLE lim_nobody LOGIN PASSWORD 'pw';
      CREATE ROLE app LOGIN PASSWORD 'pw';
      CREATE ROLE shop LOGIN PASSWORD 'pw' CONNECTION LIMIT 2;
      CREATE ROLE rep LOGIN REPLICATION PASSWORD 'pw';
      CREATE ROLE boss LOGIN SUPERUSER PASSWORD 'pw' CONNECTION LIMIT 1`);
    // No autovacuum worker may visit a test database while a role without pg_read_all_stats counts it.
    await observer.query('ALTER SYSTEM SET autovacuum = off');
    await observer.query('SELECT pg_reload_conf()');
    await observer.query('CREATE DATABASE orders CONNECTION LIMIT 3');
    await observer.query('CREATE DATABASE closed CONNECTION LIMIT 0');
    monitor = testTarget(url('lim_monitor', 'postgres'));
    nobody = testTarget(url('lim_nobody', 'postgres'));
  }, 60_000);
  afterAll(async () => {
    await closeAll();
    await Promise.all([monitor?.close(), nobody?.close()]);
    await observer?.end();
    await server?.stop();
  });

  const limitsAs = async (target: Target) =>
    ((await run(target, 'connections')).findings as ConnectionsFindings).limits;
  const find = (limits: ConnectionLimit[], kind: ConnectionLimit['kind'], name: string) =>
    limits.find((l) => l.kind === kind && l.name === name);
  /** A new session's fate: null when accepted (and kept open), else its SQLSTATE and message. */
  async function attempt(connectionString: string, extra: object = {}): Promise<string | null> {
    const client = new pg.Client({ connectionString, application_name: 'scenario-limit', ...extra } as pg.ClientConfig);
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      return `${code} ${message}`;
    }
    opened.push(client);
    return null;
  }
  const opened: pg.Client[] = [];
  const closeAll = async () => void (await Promise.all(opened.splice(0).map((c) => c.end().catch(() => undefined))));
  /** Ground truth, as the superuser: client backends per database and per role. */
  async function truth(): Promise<{ orders: number; shop: number; closed: number }> {
    const { rows } = await observer.query<{ orders: number; shop: number; closed: number }>(
      `SELECT count(*) FILTER (WHERE datname = 'orders')::int AS orders, count(*) FILTER (WHERE usename = 'shop')::int AS shop,
              count(*) FILTER (WHERE datname = 'closed')::int AS closed
         FROM pg_stat_activity WHERE backend_type = 'client backend'`,
    );
    return rows[0]!;
  }
  /** Closed and refused sessions leave pg_stat_activity a moment after the client hears of it. */
  const settled = (expected: { orders: number; shop: number; closed: number }) =>
    waitFor(
      async () => JSON.stringify(await truth()) === JSON.stringify(expected),
      `client backends to be ${JSON.stringify(expected)}`,
    );

  it('counts what PostgreSQL counts: full exactly when the next session is refused with 53300', async () => {
    await settled({ orders: 0, shop: 0, closed: 0 });
    try {
      // orders (limit 3): a walsender connected to it and a superuser's session; shop (limit 2): one session.
      expect(await attempt(url('rep', 'orders'), { replication: 'database' })).toBeNull();
      expect(await attempt(server.url('orders'))).toBeNull();
      expect(await attempt(url('shop', 'postgres'))).toBeNull();
      // The walsender does not count (PostgreSQL accepts two more below); the superuser's session does.
      const asMonitor = await limitsAs(monitor);
      expect(find(asMonitor, 'database', 'orders')).toMatchObject({ inUse: 1, limit: 3 });
      expect(find(asMonitor, 'role', 'shop')).toMatchObject({ inUse: 1, limit: 2 });
      // Without pg_read_all_stats the walsender is a session of unknown type, and counted.
      const asNobody = await limitsAs(nobody);
      expect(find(asNobody, 'database', 'orders')).toMatchObject({ inUse: 2, limit: 3 });
      expect(find(asNobody, 'role', 'shop')).toMatchObject({ inUse: 1, limit: 2 });
      expect(await attempt(url('app', 'orders'))).toBeNull();
      expect(await attempt(url('shop', 'orders'))).toBeNull(); // the third of orders, the second of shop
      expect(await truth()).toEqual({ orders: 3, shop: 2, closed: 0 });
      const full = await limitsAs(monitor);
      expect(find(full, 'database', 'orders')).toMatchObject({ inUse: 3, limit: 3 });
      expect(find(full, 'role', 'shop')).toMatchObject({ inUse: 2, limit: 2 });
      expect(find(await limitsAs(nobody), 'database', 'orders')).toMatchObject({ inUse: 4, limit: 3 });
      const result = await run(monitor, 'connections');
      // PostgreSQL's own verdict: both are full.
      expect(await attempt(url('app', 'orders'))).toMatch(/^53300 too many connections for database "orders"/);
      expect(await attempt(url('shop', 'postgres'))).toMatch(/^53300 too many connections for role "shop"/);

      expect(result.status).toBe('crit');
      const table = result.report.sections.find((s) => s.title === 'Connection limits');
      expect(table).toMatchObject({
        rows: [
          ['database orders', '3', '3'],
          ['role shop', '2', '2'],
        ],
      });
      expect(toJson(result).reasons.join(' ')).toContain('Database "orders": 3 of its 3-connection limit in use');
      expect(result.report.footnotes.join('\n')).toContain('ALTER ROLE "shop" CONNECTION LIMIT <n>;');
    } finally {
      await closeAll();
    }
  });

  it('health names the fullest limit while PostgreSQL refuses its next session, and is ok once they close', async () => {
    await settled({ orders: 0, shop: 0, closed: 0 });
    const connectionsCheck = async (target: Target) => {
      const result = await run(target, 'health');
      const findings = result.findings as HealthFindings;
      return { result, findings, check: findings.checks.find((c) => c.name === 'connections')! };
    };
    try {
      expect(await attempt(url('app', 'orders'))).toBeNull();
      expect(await attempt(url('app', 'orders'))).toBeNull();
      expect(await attempt(url('shop', 'orders'))).toBeNull();
      expect(await attempt(url('shop', 'postgres'))).toBeNull();
      expect(await truth()).toEqual({ orders: 3, shop: 2, closed: 0 });
      const { result, findings, check } = await connectionsCheck(monitor);
      expect(await attempt(url('app', 'orders'))).toMatch(/^53300 too many connections for database "orders"/);
      expect(await attempt(url('shop', 'postgres'))).toMatch(/^53300 too many connections for role "shop"/);

      // max_connections has room (a handful of 97 usable); the database's own limit is what refuses.
      expect(findings.connections.usedPct).toBeLessThan(20);
      expect(findings.connections.limitsAtWarn).toEqual([
        { kind: 'database', oid: expect.any(Number), name: 'orders', inUse: 3, limit: 3 },
        { kind: 'role', oid: expect.any(Number), name: 'shop', inUse: 2, limit: 2 },
      ]);
      expect(check).toMatchObject({ status: 'crit', next: 'connections' });
      expect(check.detail).toMatch(
        /^Database "orders": 3 of its 3-connection limit in use \(1 more database or role near full; \d+ of \d+ usable server-wide, [\d.]+%\)$/,
      );
      expect(result.status).toBe('crit');
      expect(result.summary).toContain('Database "orders": 3 of its 3-connection limit in use');
      expect(toJson(result).reasons.join(' ')).toContain('Database "orders": 3 of its 3-connection limit in use');
      expect(toJson(result).notes.join('\n')).toContain('Run `connections` for detail.');
      expect(result.report.footnotes.join('\n')).not.toContain('cannot see the type');

      // Without pg_read_all_stats the count is at least PostgreSQL's, and the report says why it may be more.
      const blind = await connectionsCheck(nobody);
      expect(blind.check.status).toBe('crit');
      expect(blind.findings.connections.limitsAtWarn[0]).toMatchObject({ kind: 'database', name: 'orders' });
      expect(blind.findings.connections.limitsAtWarn[0]!.inUse).toBeGreaterThanOrEqual(3);
      expect(blind.result.report.footnotes.join('\n')).toContain(
        "pgmedic's role cannot see the type of other roles' sessions",
      );

      await closeAll();
      await settled({ orders: 0, shop: 0, closed: 0 });
      const after = await connectionsCheck(monitor);
      expect(after.findings.connections.limitsAtWarn).toEqual([]); // "closed" (limit 0) stays ok
      expect(after.check).toMatchObject({ status: 'ok', next: null });
      expect(after.check.detail).toMatch(/^\d+ of \d+ usable \([\d.]+%; \d+ reserved\)$/);
    } finally {
      await closeAll();
    }
  });

  it('leaves out what PostgreSQL never enforces, and keeps a closed database quiet', async () => {
    await settled({ orders: 0, shop: 0, closed: 0 });
    try {
      // A superuser is never refused, whatever its own limit: two sessions of boss (limit 1) are accepted.
      expect(await attempt(url('boss', 'postgres'))).toBeNull();
      expect(await attempt(url('boss', 'postgres'))).toBeNull();
      expect(await attempt(url('app', 'closed'))).toMatch(/^53300 too many connections for database "closed"/);
      await settled({ orders: 0, shop: 0, closed: 0 });
      const result = await run(monitor, 'connections');
      const limits = (result.findings as ConnectionsFindings).limits;
      expect(find(limits, 'role', 'boss')).toBeUndefined();
      expect(find(limits, 'database', 'closed')).toMatchObject({ inUse: 0, limit: 0 });
      const { rows } = await observer.query<{ kind: string; name: string }>(
        `SELECT 'database' AS kind, datname::text AS name FROM pg_database WHERE datconnlimit >= 0 AND datallowconn
         UNION ALL SELECT 'role', rolname::text FROM pg_roles WHERE rolconnlimit >= 0 AND rolcanlogin AND NOT rolsuper`,
      );
      expect(limits.map((l) => `${l.kind} ${l.name}`).sort()).toEqual(rows.map((r) => `${r.kind} ${r.name}`).sort());
      expect(result.status).toBe('ok');
      expect(result.report.sections.some((s) => s.title === 'Connection limits')).toBe(false);
    } finally {
      await closeAll();
    }
  });
});
