import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicationFindings } from '../../commands/replication.js';
import type { Target } from '../../src/db/targets.js';
import { connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createPausedStandby, type PausedStandby } from '../support/scenarios/paused-standby.js';

/** One number from a server, asked directly. */
async function ask(url: string, sql: string): Promise<number> {
  const client = await connect(url, 'ground-truth');
  try {
    return Number(Object.values((await client.query(sql)).rows[0] as object)[0]);
  } finally {
    await client.end();
  }
}

describe('replication on PostgreSQL 18 with a paused standby', () => {
  let server: TestServer;
  let paused: PausedStandby;
  let primary: Target;
  let standby: Target;

  beforeAll(async () => {
    server = await startTestServer(18);
    paused = await createPausedStandby(server);
    primary = testTarget(server.url());
    standby = testTarget(paused.standby.url());
  });
  afterAll(async () => {
    await primary?.close();
    await standby?.close();
    await paused?.stop();
    await server?.stop();
  });

  it('on the primary: the standby, its lag in bytes against the standby’s own replay position, its slot', async () => {
    const standbyReplayed = `'${await replayLsn(paused.standby.url())}'::pg_lsn`;
    const before = await ask(server.url(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${standbyReplayed})::float8`);
    const result = await run(primary, 'replication');
    const after = await ask(server.url(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${standbyReplayed})::float8`);
    const findings = result.findings as ReplicationFindings;
    expect(findings.role).toBe('primary');
    expect(findings.standbys).toHaveLength(1);
    const row = findings.standbys[0]!;
    expect(row).toMatchObject({
      application: 'test_standby',
      state: 'streaming',
      syncState: 'async',
      slot: 'test_standby',
      client: '127.0.0.1',
    });
    expect(row.replayLsn).toBe(await replayLsn(paused.standby.url()));
    expect(row.replayLagBytes).toBeGreaterThan(1_000_000);
    expect(row.replayLagBytes).toBeGreaterThanOrEqual(before);
    expect(row.replayLagBytes).toBeLessThanOrEqual(after);
    expect(row.flushLagBytes).toBeLessThan(row.replayLagBytes!);
    expect(row.replayLagSeconds).not.toBeNull();
    const slot = findings.slots.find((s) => s.name === 'test_standby')!;
    expect(slot).toMatchObject({ type: 'physical', active: true, walStatus: 'reserved' });
    expect(slot.retainedBytes).toBeGreaterThanOrEqual(0);
    expect(slot.inactiveSince).toBeNull();
    expect(result.summary).toMatch(/^1 standby connected \(1 streaming\); the furthest behind, test_standby, replays/);
  });

  it('on the standby: paused replay, received versus replayed exactly as the standby reports them', async () => {
    const truthSql = 'SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8';
    const before = await ask(paused.standby.url(), truthSql);
    const result = await run(standby, 'replication');
    const after = await ask(paused.standby.url(), truthSql);
    const findings = result.findings as ReplicationFindings;
    expect(findings.role).toBe('standby');
    const local = findings.local!;
    expect(local).toMatchObject({
      application: 'test_standby',
      state: 'streaming',
      replayPaused: true,
      pauseState: 'paused',
      slot: 'test_standby',
    });
    expect(local.replayLsn).toBe(await replayLsn(paused.standby.url()));
    expect(local.replayLagBytes).toBeGreaterThan(1_000_000);
    expect(local.replayLagBytes).toBeGreaterThanOrEqual(before);
    expect(local.replayLagBytes).toBeLessThanOrEqual(after);
    expect(local.replayLagSeconds).toBeGreaterThanOrEqual(0);
    expect(result.status).not.toBe('ok');
    expect(result.summary).toMatch(/^Replay is paused: /);
  });

  it('on a caught-up standby of an idle primary: no replay delay, however old the last transaction', async () => {
    await paused.resume();
    // The last replayed commit ages while nothing is written; with a 1 s threshold a naive now() - timestamp would alarm.
    await waitFor(
      async () =>
        (await ask(
          paused.standby.url(),
          'SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8',
        )) > 1.5,
      'the last commit to age',
      5_000,
    );
    const strict = testTarget(paused.standby.url(), { thresholds: { replicationLagSeconds: { warn: 1, crit: 2 } } });
    try {
      const result = await run(strict, 'replication');
      const local = (result.findings as ReplicationFindings).local!;
      expect(
        await ask(
          paused.standby.url(),
          'SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8',
        ),
      ).toBeLessThanOrEqual(0);
      expect(local).toMatchObject({ replayPaused: false, replayLagBytes: 0, replayLagSeconds: 0 });
      expect(local.sinceLastReplaySeconds).toBeGreaterThan(1.5);
      expect(result.status).toBe('ok');
      expect(result.summary).toMatch(/caught up/);
    } finally {
      await strict.close();
    }
  });
});

async function replayLsn(url: string): Promise<string> {
  const client = await connect(url, 'ground-truth');
  try {
    return (await client.query<{ lsn: string }>('SELECT pg_last_wal_replay_lsn()::text AS lsn')).rows[0]!.lsn;
  } finally {
    await client.end();
  }
}

describe.each([16, 17] as const)('replication slots on PostgreSQL %i', (major) => {
  let server: TestServer;
  let target: Target;

  beforeAll(async () => {
    server = await startTestServer(major);
    const client = await connect(server.url());
    await client.query("SELECT pg_create_physical_replication_slot('abandoned_slot', true)");
    await client.query('CREATE TABLE slot_filler AS SELECT g FROM generate_series(1, 50000) g');
    await client.end();
    target = testTarget(server.url());
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('reports an inactive slot and the WAL it retains, matching pg_replication_slots', async () => {
    const truthSql =
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 FROM pg_replication_slots WHERE slot_name = 'abandoned_slot'";
    const before = await ask(server.url(), truthSql);
    const result = await run(target, 'replication');
    const after = await ask(server.url(), truthSql);
    const findings = result.findings as ReplicationFindings;
    expect(findings).toMatchObject({ role: 'primary', standbys: [], local: null });
    const slot = findings.slots.find((s) => s.name === 'abandoned_slot')!;
    expect(slot).toMatchObject({
      type: 'physical',
      active: false,
      temporary: false,
      walStatus: 'reserved',
      invalidationReason: null,
    });
    expect(slot.retainedBytes).toBeGreaterThan(1_000_000);
    expect(slot.retainedBytes).toBeGreaterThanOrEqual(before);
    expect(slot.retainedBytes).toBeLessThanOrEqual(after);
    if (major >= 17) {
      expect(slot.inactiveSince).toBe(await inactiveSince(server.url()));
      expect(slot.inactiveSeconds).toBeGreaterThanOrEqual(0);
    } else {
      expect(slot.inactiveSince).toBeNull();
    }
    expect(result.status).toBe('warn');
    expect(result.summary).toMatch(/No standby is connected\. 1 inactive slot holding .* of WAL\./);
  });
});

async function inactiveSince(url: string): Promise<string> {
  const client = await connect(url, 'ground-truth');
  try {
    return (
      await client.query<{ t: string }>(
        "SELECT inactive_since::text AS t FROM pg_replication_slots WHERE slot_name = 'abandoned_slot'",
      )
    ).rows[0]!.t;
  } finally {
    await client.end();
  }
}
