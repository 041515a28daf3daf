import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocksFindings } from '../../commands/locks.js';
import type { Target } from '../../src/db/targets.js';
import { connect, loginRole, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';

let server: TestServer;
let target: Target;
/** A plain role: pgmedic signals its sessions, never a superuser's. */
let appUrl: string;

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url());
  appUrl = await loginRole(server.url(), 'app');
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

describe('locks', () => {
  it('reports no waiting sessions on a quiet server', async () => {
    const result = await run(target, 'locks');
    expect(result.status).toBe('ok');
    expect((result.findings as LocksFindings).sessions).toEqual([]);
    expect(result.summary).toBe('No session is waiting on a lock.');
  });

  it('finds the root of a real three-session chain, matching pg_blocking_pids', async () => {
    const chain = await createBlockingChain(appUrl);
    try {
      const result = await run(target, 'locks');
      const findings = result.findings as LocksFindings;
      const truth = await connect(server.url());
      const edges = await truth.query<{ pid: number; blockers: number[] }>(
        "SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE application_name LIKE 'scenario-%' AND cardinality(pg_blocking_pids(pid)) > 0",
      );
      await truth.end();
      for (const edge of edges.rows) {
        expect(findings.sessions.find((s) => s.pid === edge.pid)?.blockingPids.sort()).toEqual(edge.blockers.sort());
      }
      expect(findings.rootPids).toEqual([chain.rootPid]);
      const root = findings.sessions.find((s) => s.pid === chain.rootPid)!;
      expect(root).toMatchObject({
        isRoot: true,
        blockedCount: 2,
        idleInTransaction: true,
        state: 'idle in transaction',
        waitSeconds: null,
      });
      expect(root.backendStart).toMatch(/\.\d{6}\+00$|\.\d+[+-]\d\d/);
      const middle = findings.sessions.find((s) => s.pid === chain.middlePid)!;
      expect(middle).toMatchObject({
        isRoot: false,
        blockingPids: [chain.rootPid],
        lockMode: 'ShareLock',
        lockType: 'transactionid',
      });
      expect(middle.waitSeconds).toBeGreaterThanOrEqual(0);
      expect(result.report.actions.map((a) => a.action)).toEqual(['terminate']);
      expect(result.report.actions[0]!.params).toEqual({ pid: String(chain.rootPid), backendStart: root.backendStart });
      expect(result.summary).toMatch(/^1 root blocker holding up 2 sessions/);
    } finally {
      await chain.release();
      await chain.close();
    }
  });

  it('offers no Cancel or Terminate on a superuser root blocker, and says why', async () => {
    const chain = await createBlockingChain(server.url(), 'chain_superuser');
    try {
      const result = await run(target, 'locks');
      expect((result.findings as LocksFindings).rootPids).toEqual([chain.rootPid]);
      const root = (result.findings as LocksFindings).sessions.find((s) => s.pid === chain.rootPid)!;
      expect(root.noSignal).toBe('superuser');
      expect(result.report.actions).toEqual([]);
      expect(result.report.footnotes).toContain(
        `No button for ${chain.rootPid}: superuser session; pgmedic never signals superuser sessions.`,
      );
    } finally {
      await chain.release();
      await chain.close();
    }
  });

  it('offers no button on a walsender holding a lock, and says why', async () => {
    const url = await loginRole(server.url(), 'replicator', 'REPLICATION');
    const setup = await connect(url, 'scenario-setup');
    await setup.query('CREATE TABLE walsender_held (id int)');
    // replication=database: a walsender that still runs plain SQL (simple protocol), here holding a table lock.
    const walsender = new pg.Client({
      connectionString: url,
      application_name: 'scenario-walsender',
      replication: 'database',
    } as pg.ClientConfig);
    walsender.on('error', () => undefined);
    await walsender.connect();
    const waiter = await connect(url, 'scenario-waiter');
    try {
      await walsender.query('BEGIN');
      await walsender.query('LOCK TABLE walsender_held IN ACCESS EXCLUSIVE MODE');
      const pid = Number((await walsender.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const waiting = waiter.query('SELECT count(*) FROM walsender_held').catch(() => undefined);
      await waitFor(
        async () =>
          (
            await setup.query(
              "SELECT 1 FROM pg_stat_activity WHERE application_name = 'scenario-waiter' AND wait_event_type = 'Lock'",
            )
          ).rowCount,
        'the waiter to queue',
      );
      const result = await run(target, 'locks');
      expect((result.findings as LocksFindings).rootPids).toEqual([pid]);
      expect(result.report.actions).toEqual([]);
      expect(result.report.footnotes).toContain(
        `No button for ${pid}: walsender, not a client session; pgmedic signals client sessions only.`,
      );
      await walsender.query('COMMIT');
      await waiting;
    } finally {
      await Promise.all([walsender, waiter, setup].map((c) => c.end().catch(() => undefined)));
    }
  });

  it('leaves out its own backends', async () => {
    const result = await run(target, 'locks');
    expect((result.findings as LocksFindings).sessions.every((s) => s.application !== 'pgmedic')).toBe(true);
  });
});
