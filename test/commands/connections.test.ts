import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionsFindings } from '../../commands/connections.js';
import type { Target } from '../../src/db/targets.js';
import { connect, loginRole, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { holdExclusiveLock } from '../support/scenarios/exclusive-lock.js';
import { createIdleSessions, type IdleSessions } from '../support/scenarios/idle-sessions.js';

let server: TestServer;
let target: Target;
let sessions: IdleSessions;

let observer: pg.Client;

/**
 * Ground truth from one long-lived connection, so no short-lived truth backend is still exiting while
 * the command counts. The command sees the observer as idle; the observer sees itself as active.
 */
async function truth<Row extends object>(sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await observer.query<Row>(sql, params)).rows;
}

const findingsOf = async (tokens: string[] = []) =>
  (await run(target, 'connections', tokens)).findings as ConnectionsFindings;

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url());
  observer = await connect(server.url(), 'scenario-observer');
  // A plain role's sessions: pgmedic offers no button on a superuser's (test/commands/locks.test.ts checks that).
  sessions = await createIdleSessions(await loginRole(server.url(), 'app', 'REPLICATION'));
  await waitFor(
    async () =>
      (
        await truth<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name IN ('scenario-idle', 'scenario-aborted', 'scenario-sleeper', 'scenario-walsender') AND now() - greatest(state_change, query_start) > interval '1.2 s'",
        )
      )[0]!.n === 5,
    'the scenario sessions to age past a second',
  );
});
afterAll(async () => {
  await sessions?.release();
  await sessions?.close();
  await observer?.end();
  await target?.close();
  await server?.stop();
});

describe('connections', () => {
  it('counts client sessions by state, user, application and client like pg_stat_activity', async () => {
    const findings = await findingsOf();
    // Truth from a separate connection, which leaves itself and pgmedic out the same way.
    const rows = await truth<{ state: string; app: string; count: number }>(
      "SELECT coalesce(state, 'not visible') AS state, application_name AS app, count(*)::int AS count FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name NOT LIKE 'pgmedic%' GROUP BY 1, 2",
    );
    const byState = new Map<string, number>([['idle', 1]]); // the observer, idle while the command ran
    for (const row of rows) byState.set(row.state, (byState.get(row.state) ?? 0) + row.count);
    expect(Object.fromEntries(findings.byState.map((c) => [c.key, c.count]))).toEqual(Object.fromEntries(byState));
    expect(findings.byApplication).toContainEqual({ key: 'scenario-idle', count: 2 });
    expect(findings.byApplication).toContainEqual({ key: 'scenario-sleeper', count: 1 });
    const users = await truth<{ key: string; count: number }>(
      "SELECT usename AS key, count(*)::int AS count FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name NOT LIKE 'pgmedic%' GROUP BY 1",
    );
    const byUser = Object.fromEntries(users.map((u) => [u.key, u.count + (u.key === 'postgres' ? 1 : 0)])); // + the observer
    expect(Object.fromEntries(findings.byUser.map((c) => [c.key, c.count]))).toEqual({ postgres: 1, ...byUser });
    expect(findings.byUser.reduce((sum, c) => sum + c.count, 0)).toBe(rows.reduce((sum, r) => sum + r.count, 1));
    expect(findings.byClient.map((c) => c.key)).toEqual(['127.0.0.1']);
  });

  it('measures headroom against max_connections minus both reservations', async () => {
    const findings = await findingsOf();
    const [settings] = await truth<{ max: number; su: number; reserved: number; clients: number }>(
      "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS su, current_setting('reserved_connections')::int AS reserved, (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS clients",
    );
    expect(findings).toMatchObject({
      maxConnections: settings!.max,
      superuserReservedConnections: settings!.su,
      reservedConnections: settings!.reserved,
    });
    expect(findings.usableConnections).toBe(settings!.max - settings!.su - settings!.reserved);
    expect(findings.clientConnections).toBe(settings!.clients);
    expect(findings.headroom).toBe(findings.usableConnections - settings!.clients);
    expect(findings.ownConnections).toBeGreaterThanOrEqual(1);
  });

  it('lists idle-in-transaction sessions past --min-idle with their ages and offers to terminate them', async () => {
    const result = await run(target, 'connections', ['--min-idle', '1s']);
    const findings = result.findings as ConnectionsFindings;
    const expectedPids = [...sessions.idleInTransactionPids, sessions.abortedPid].sort();
    expect(findings.idleInTransaction.map((s) => s.pid).sort()).toEqual(expectedPids);
    expect(findings.idleInTransactionCount).toBe(3);
    const truthRows = await truth<{ pid: number; backend_start: string; idle: number }>(
      'SELECT pid, backend_start::text, extract(epoch FROM now() - state_change)::float8 AS idle FROM pg_stat_activity WHERE pid = ANY($1)',
      [expectedPids],
    );
    for (const row of truthRows) {
      const found = findings.idleInTransaction.find((s) => s.pid === row.pid)!;
      expect(found.backendStart).toBe(row.backend_start);
      expect(found.stateSeconds).toBeGreaterThanOrEqual(1);
      expect(found.stateSeconds).toBeLessThanOrEqual(row.idle);
    }
    expect(findings.idleInTransaction.find((s) => s.pid === sessions.abortedPid)?.state).toBe(
      'idle in transaction (aborted)',
    );
    const terminate = result.report.actions.filter(
      (a) => a.action === 'terminate' && expectedPids.includes(Number(a.params.pid)),
    );
    expect(terminate.map((a) => a.params)).toEqual(
      findings.idleInTransaction.map((s) => ({ pid: String(s.pid), backendStart: s.backendStart })),
    );
    expect(
      result.report.actions.some((a) => a.action === 'cancel' && expectedPids.includes(Number(a.params.pid))),
    ).toBe(false);
  });

  it("lists a superuser's idle transaction without a Terminate button, and says why", async () => {
    const admin = await connect(server.url(), 'scenario-superuser-idle');
    try {
      await admin.query('BEGIN');
      const pid = Number((await admin.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      await waitFor(
        async () =>
          (
            await truth("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND now() - state_change > interval '1.2 s'", [
              pid,
            ])
          ).length,
        'the transaction to idle',
      );
      const result = await run(target, 'connections', ['--min-idle', '1s']);
      expect((result.findings as ConnectionsFindings).idleInTransaction.map((s) => s.pid)).toContain(pid);
      expect(result.report.actions.filter((a) => a.params.pid === String(pid))).toEqual([]);
      expect(result.report.footnotes).toContain(
        `No button for ${pid}: superuser session; pgmedic never signals superuser sessions.`,
      );
    } finally {
      await admin.end();
    }
  });

  it('does not hide sessions the thresholds flag, however high --min-idle is', async () => {
    const findings = await findingsOf(['--min-idle', '2h']);
    expect(findings.minIdleSeconds).toBe(300); // capped at the idle-in-transaction warn threshold
    expect(findings.idleInTransaction).toEqual([]); // the scenario's sessions are seconds old
    expect(findings.oldestIdleInTransactionSeconds).toBeGreaterThanOrEqual(1);
  });

  it('lists the long-running query but not the walsender running one, and offers cancel then terminate', async () => {
    const [walsender] = await truth<{ pid: number; state: string; seconds: number }>(
      "SELECT pid, state, extract(epoch FROM now() - query_start)::float8 AS seconds FROM pg_stat_activity WHERE backend_type = 'walsender'",
    );
    expect(walsender).toMatchObject({ pid: sessions.walsenderPid, state: 'active' }); // it would qualify if it were not left out
    expect(walsender!.seconds).toBeGreaterThan(1);
    const result = await run(target, 'connections', ['--min-runtime', '1s']);
    const findings = result.findings as ConnectionsFindings;
    expect(findings.longRunning.map((s) => s.pid)).toEqual([sessions.sleeperPid]);
    expect(findings.longRunning[0]!.query).toMatch(/pg_sleep/);
    expect(findings.longRunning[0]!.querySeconds).toBeGreaterThanOrEqual(1);
    expect(findings.otherBackends).toContainEqual({ key: 'walsender', count: 1 });
    const forSleeper = result.report.actions.filter((a) => a.params.pid === String(sessions.sleeperPid));
    expect(forSleeper.map((a) => a.action)).toEqual(['cancel', 'terminate']);
    expect(result.summary).toMatch(/1 query running over 1s/);
  });

  it('lists sessions waiting on a lock with their wait age from pg_locks', async () => {
    const lock = await holdExclusiveLock(server.url(), 'connections_locked', 100);
    try {
      const waiterPid = await lock.addWaiter();
      const findings = await findingsOf();
      const waiter = findings.waiting.find((s) => s.pid === waiterPid)!;
      expect(waiter).toMatchObject({ waitEventType: 'Lock', waitEvent: 'relation', state: 'active' });
      expect(waiter.lockWaitSeconds).toBeGreaterThanOrEqual(0);
      const [blockers] = await truth<{ blockers: number[] }>('SELECT pg_blocking_pids($1) AS blockers', [waiterPid]);
      expect(blockers!.blockers).toEqual([lock.holderPid]);
      expect(findings.waitingCount).toBe(1);
    } finally {
      await lock.release();
      await lock.close();
    }
  });

  it('leaves out its own backends from every list', async () => {
    const findings = await findingsOf(['--min-idle', '0', '--min-runtime', '0']);
    const all = [...findings.idleInTransaction, ...findings.longRunning, ...findings.waiting];
    expect(all.every((s) => !s.application?.startsWith('pgmedic'))).toBe(true);
    expect(findings.byApplication.some((c) => c.key.startsWith('pgmedic'))).toBe(false);
  });
});

describe('connections on PostgreSQL 14 (no reserved_connections)', () => {
  it('reports headroom without the 16+ reservation', async () => {
    const old = await startTestServer(14);
    const oldTarget = testTarget(old.url());
    try {
      const result = await run(oldTarget, 'connections');
      const findings = result.findings as ConnectionsFindings;
      expect(findings).toMatchObject({
        maxConnections: 100,
        superuserReservedConnections: 3,
        reservedConnections: 0,
        usableConnections: 97,
      });
      expect(result.status).toBe('ok');
    } finally {
      await oldTarget.close();
      await old.stop();
    }
  });
});
