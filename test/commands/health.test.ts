import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthFindings, StandbyReplication } from '../../commands/health.js';
import type { Cluster } from '../../src/embedded/cluster.js';
import type { Target } from '../../src/db/targets.js';
import { clientPool, connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { startStandby } from '../support/standby.js';

let server: TestServer;
let standby: Cluster;
let target: Target;
let standbyTarget: Target;

beforeAll(async () => {
  server = await startTestServer(18);
  standby = await startStandby(server.cluster!);
  target = testTarget(server.url());
  standbyTarget = testTarget(standby.url());
  const truth = await connect(server.url());
  await waitFor(
    async () => (await truth.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).rowCount,
    'standby to stream',
  );
  await truth.end();
});
afterAll(async () => {
  await target?.close();
  await standbyTarget?.close();
  await standby?.stop();
  await server?.stop();
});

async function truthRow<T>(url: string, sql: string): Promise<T> {
  const client = await connect(url);
  try {
    return (await client.query(sql)).rows[0] as T;
  } finally {
    await client.end();
  }
}

describe('health on a primary', () => {
  it('says OK on a quiet server, with settings and ages read from PostgreSQL', async () => {
    const result = await run(target, 'health');
    const findings = result.findings as HealthFindings;
    const truth = await truthRow<{ max: string; reserved: string; age: number; standbys: number }>(
      server.url(),
      "SELECT current_setting('max_connections') AS max, current_setting('superuser_reserved_connections') AS reserved, max(age(datfrozenxid))::int AS age, (SELECT count(*)::int FROM pg_stat_replication) AS standbys FROM pg_database",
    );
    expect(result.status).toBe('ok');
    expect(result.summary).toMatch(/^OK: primary on PostgreSQL 18\.\d+, up .*; nothing needs attention\.$/);
    expect(findings.connections).toMatchObject({
      maxConnections: Number(truth.max),
      superuserReserved: Number(truth.reserved),
      reserved: 0,
    });
    expect(Math.abs(findings.xidAge.xidAge - truth.age)).toBeLessThanOrEqual(5);
    expect(findings.replication).toMatchObject({ role: 'primary', standbys: truth.standbys, inactiveSlots: 0 });
    expect(truth.standbys).toBe(1);
    expect(findings.checks.every((c) => c.next === null)).toBe(true);
  });

  it('points at `connections` when a transaction stays open too long', async () => {
    const clients = clientPool(server.url());
    const idle = await clients.open('scenario-idle');
    await idle.query('BEGIN');
    const pid = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, txid_current()')).rows[0]!.pid;
    const strict = testTarget(server.url(), { thresholds: { oldestTransactionSeconds: { warn: 0, crit: 3600 } } });
    try {
      const result = await run(strict, 'health');
      const findings = result.findings as HealthFindings;
      expect(findings.oldestTransaction).toMatchObject({ pid, state: 'idle in transaction', preparedGid: null });
      expect(findings.checks.find((c) => c.name === 'oldestTransaction')).toMatchObject({
        status: 'warn',
        next: 'connections',
      });
      expect(result.status).toBe('warn');
      expect(result.summary).toContain('idle in transaction; run `connections`)');
    } finally {
      await strict.close();
      await clients.closeAll();
    }
  });

  it('names a forgotten prepared transaction and points at `vacuum`', async () => {
    const client = await connect(server.url());
    await client.query("BEGIN; SELECT txid_current(); PREPARE TRANSACTION 'health_forgotten'");
    const strict = testTarget(server.url(), { thresholds: { oldestTransactionSeconds: { warn: 0, crit: 3600 } } });
    try {
      const result = await run(strict, 'health');
      const findings = result.findings as HealthFindings;
      expect(findings.oldestTransaction).toMatchObject({
        pid: null,
        preparedGid: 'health_forgotten',
        state: 'prepared',
      });
      expect(findings.checks.find((c) => c.name === 'oldestTransaction')?.next).toBe('vacuum');
    } finally {
      await client.query("ROLLBACK PREPARED 'health_forgotten'");
      await client.end();
      await strict.close();
    }
  });

  it('counts pgmedic against max_connections like any client', async () => {
    const result = await run(target, 'health');
    expect((result.findings as HealthFindings).connections.used).toBeGreaterThanOrEqual(1);
    expect((result.findings as HealthFindings).connections.usedPct).toBeGreaterThan(0);
  });
});

describe('health on a standby', () => {
  it('reports the standby role with no delay while replay keeps up', async () => {
    const result = await run(standbyTarget, 'health');
    const findings = result.findings as HealthFindings;
    expect(findings.role).toBe('standby');
    expect(findings.replication).toMatchObject({ role: 'standby', replayPaused: false, walReceiverRunning: true });
    expect(result.status).toBe('ok');
  });

  it('warns about paused replay, with the gap the standby itself reports', async () => {
    const control = await connect(standby.url());
    const primary = await connect(server.url());
    await control.query('SELECT pg_wal_replay_pause()');
    try {
      await waitFor(
        async () => (await control.query("SELECT 1 WHERE pg_get_wal_replay_pause_state() = 'paused'")).rowCount,
        'replay to pause',
      );
      await primary.query('CREATE TABLE IF NOT EXISTS health_lag AS SELECT g FROM generate_series(1, 20000) g');
      await waitFor(
        async () =>
          (await control.query('SELECT 1 WHERE pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()')).rowCount,
        'WAL to arrive unreplayed',
      );
      const before = (
        await control.query<{ gap: number }>(
          'SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS gap',
        )
      ).rows[0]!.gap;
      const result = await run(standbyTarget, 'health');
      const after = (
        await control.query<{ gap: number }>(
          'SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS gap',
        )
      ).rows[0]!.gap;
      const replication = (result.findings as HealthFindings).replication as StandbyReplication;
      expect(replication.replayPaused).toBe(true);
      expect(replication.replayGapBytes).toBeGreaterThanOrEqual(before);
      expect(replication.replayGapBytes).toBeLessThanOrEqual(after);
      expect(replication.replayDelaySeconds).toBeGreaterThan(0);
      expect(result.status).not.toBe('ok');
      expect(result.summary).toContain('replay is paused (run `replication`)');
    } finally {
      await control.query('SELECT pg_wal_replay_resume()');
      await control.end();
      await primary.end();
    }
  });
});
