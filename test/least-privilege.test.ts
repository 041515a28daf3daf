import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BloatFindings, RelationBloat } from '../commands/bloat.js';
import type { HealthFindings } from '../commands/health.js';
import type { LocksFindings } from '../commands/locks.js';
import type { SequencesFindings } from '../commands/sequences.js';
import type { Target } from '../src/db/targets.js';
import { listCommands } from '../src/engine/registry.js';
import { toJson } from '../src/report/json.js';
import { lockRules } from '../src/schedule/alerts/rules.js';
import { connect } from './support/clients.js';
import { run, testTarget } from './support/engine.js';
import { MONITOR_ROLE, prepareLeastPrivilege, type LeastPrivilegeServer } from './support/least-privilege.js';
import { startTestServer, type TestServer } from './support/pg.js';
import { createLockPileup } from './support/scenarios/lock-pileup.js';

let server: TestServer;
let lp: LeastPrivilegeServer;
let admin: Target;
let monitor: Target;
let plainAdmin: Target;
let plainMonitor: Target;

beforeAll(async () => {
  server = await startTestServer(18);
  lp = await prepareLeastPrivilege(server);
  admin = testTarget(lp.adminUrl);
  monitor = testTarget(lp.monitorUrl);
  plainAdmin = testTarget(lp.plainAdminUrl);
  plainMonitor = testTarget(lp.plainMonitorUrl);
}, 120_000);
afterAll(async () => {
  await Promise.all([admin, monitor, plainAdmin, plainMonitor].map((t) => t?.close()));
  await server?.stop();
});

async function truth<T>(sql: string, params: unknown[] = [], url = lp.adminUrl): Promise<T[]> {
  const client = await connect(url, 'scenario-truth');
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const relation = (findings: BloatFindings, name: string): RelationBloat =>
  findings.relations.find((r) => (r.index ?? r.table) === name)!;

describe('every diagnostic as a role with only pg_monitor', () => {
  it.each(listCommands('diagnostic').map((c) => c.name))('%s answers, and a non-ok status says why', async (name) => {
    const result = await run(monitor, name);
    expect(['ok', 'warn', 'crit']).toContain(result.status);
    const json = toJson(result);
    if (json.status !== 'ok') expect(json.reasons.length).toBeGreaterThan(0);
  });
});

describe('sequences as pg_monitor', () => {
  it('never calls an unreadable sequence near its limit OK: not checked, warn, with the least grant', async () => {
    const asAdmin = await run(admin, 'sequences');
    const asMonitor = await run(monitor, 'sequences');
    const serialTruth = (
      await truth<{ pct: number }>(
        `SELECT 100.0 * last_value / 2147483647 AS pct FROM pg_sequences WHERE sequencename = $1`,
        [lp.serialSequence],
      )
    )[0]!;
    const adminSerial = (asAdmin.findings as SequencesFindings).sequences.find(
      (s) => s.sequence === lp.serialSequence,
    )!;
    expect(adminSerial.percentUsed).toBeCloseTo(Number(serialTruth.pct), 3);
    expect(asAdmin.status).toBe('crit');

    const findings = asMonitor.findings as SequencesFindings;
    const unreadable = (
      await truth<{ name: string }>(
        `SELECT c.relname AS name FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'public'::regnamespace AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege($1, c.oid, 'SELECT,USAGE') END`,
        [MONITOR_ROLE],
      )
    ).map((r) => r.name);
    expect(unreadable).toContain(lp.serialSequence);
    expect(findings.unreadableTotal).toBe(unreadable.length);
    expect(
      findings.sequences
        .filter((s) => !s.readable)
        .map((s) => s.sequence)
        .sort(),
    ).toEqual(unreadable.sort());
    expect(asMonitor.status).toBe('warn');
    expect(asMonitor.summary).toMatch(/could not be checked/);
    expect(asMonitor.summary).not.toMatch(/No sequence is near its limit/);
    const notes = toJson(asMonitor).notes.join('\n');
    expect(notes).toContain(`GRANT SELECT ON SEQUENCE`);
    expect(notes).toContain(`public.${lp.serialSequence}`);
    expect(notes).not.toMatch(/pg_catalog\./);
  });

  it('after the grant it advises, pg_monitor reaches the superuser answer', async () => {
    const grant = /GRANT SELECT ON ALL SEQUENCES IN SCHEMA "public" TO "lp_monitor";/;
    const asMonitor = await run(monitor, 'sequences');
    expect(toJson(asMonitor).notes.join('\n')).toMatch(grant);
    await truth(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA "public" TO "${MONITOR_ROLE}"`);
    try {
      const granted = await run(monitor, 'sequences');
      const asAdmin = await run(admin, 'sequences');
      expect(granted.status).toBe(asAdmin.status);
      expect(granted.summary).toBe(asAdmin.summary);
    } finally {
      await truth(`REVOKE SELECT ON ALL SEQUENCES IN SCHEMA "public" FROM "${MONITOR_ROLE}"`);
    }
  });
});

describe('bloat as pg_monitor', () => {
  it('replaces estimates built on hidden pg_stats with pgstattuple, matching the superuser ground truth', async () => {
    const asAdmin = (await run(admin, 'bloat', ['--min-size', '512kB'])).findings as BloatFindings;
    const result = await run(monitor, 'bloat', ['--min-size', '512kB']);
    const findings = result.findings as BloatFindings;
    const [heap] = await truth<{ pct: number }>(
      'SELECT free_percent + dead_tuple_percent AS pct FROM pgstattuple($1::regclass)',
      [lp.bloated.table],
    );
    const hidden = relation(findings, lp.bloated.table);
    expect(hidden.statsHidden).toBe(true);
    expect(relation(asAdmin, lp.bloated.table).statsHidden).toBe(false);
    expect(hidden.exactBloatPercent).not.toBeNull();
    expect(Math.abs(hidden.exactBloatPercent! - heap!.pct)).toBeLessThan(5);
    expect(Math.abs(relation(findings, lp.bloated.controlTable).exactBloatPercent!)).toBeLessThan(10);
    expect(findings.hiddenStats.notEstimated).toEqual([]);
    // same verdict as the superuser, whose estimate rests on complete statistics
    expect(result.status).toBe((await run(admin, 'bloat', ['--min-size', '512kB'])).status);
    const measuredTotal = findings.relations.reduce((sum, r) => sum + (r.exactBloatBytes ?? 0), 0);
    expect(findings.totalBloatBytes).toBeGreaterThanOrEqual(measuredTotal * 0.99);
    expect(toJson(result).notes.join('\n')).not.toMatch(/pg_authid|pg_statistic|pg_catalog/);
  });

  it('without pgstattuple says "not estimated", warns, and advises installing it, never a grant on a catalog', async () => {
    const result = await run(plainMonitor, 'bloat', ['--min-size', '0']);
    const findings = result.findings as BloatFindings;
    const table = relation(findings, lp.plainBloated.table);
    expect(table.notEstimated).toBe(true);
    expect(findings.hiddenStats.unavailable).toBe('not-installed');
    expect(result.status).toBe('warn');
    expect(result.summary).toMatch(/not estimated/);
    const notes = toJson(result).notes.join('\n');
    expect(notes).toContain('CREATE EXTENSION pgstattuple;');
    // system catalogs may be listed as not estimated, but no grant is ever advised on them
    expect(notes).toMatch(/Granting SELECT on public\.bloat_orders/);
    expect(notes).not.toMatch(/(GRANT|Granting) SELECT ON [^.;:]*pg_catalog/i);
    // the superuser's reliable estimate is what the total holds there; the monitor counts nothing it could not measure
    expect(findings.totalBloatBytes).toBeLessThan(
      ((await run(plainAdmin, 'bloat', ['--min-size', '0'])).findings as BloatFindings).totalBloatBytes,
    );
  });

  it('never flags a relation of a few pages, even when pgstattuple measures it half empty', async () => {
    for (const target of [admin, monitor]) {
      const result = await run(target, 'bloat', ['--min-size', '0', '--exact', '--limit', '100']);
      const findings = result.findings as BloatFindings;
      const flagged = findings.relations.filter((r) =>
        toJson(result).reasons.some((reason) =>
          reason.startsWith(`${r.schema === 'public' ? '' : `${r.schema}.`}${r.index ?? r.table} `),
        ),
      );
      expect(flagged.every((r) => r.totalBytes >= 16 * findings.blockSize)).toBe(true);
    }
  });
});

describe('a stall of 10 sessions behind one idle-in-transaction session', () => {
  it('is never OK: health and locks are critical, name the root blocker and match pg_blocking_pids, as superuser and as pg_monitor', async () => {
    const pileup = await createLockPileup(lp.adminUrl, 10);
    try {
      const edges = await truth<{ pid: number; blockers: number[] }>(
        "SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE application_name LIKE 'scenario-%' AND cardinality(pg_blocking_pids(pid)) > 0",
      );
      expect(edges.length).toBe(10);
      for (const target of [admin, monitor]) {
        const health = await run(target, 'health');
        const checks = (health.findings as HealthFindings).checks;
        expect(health.status).toBe('crit');
        expect(checks.find((c) => c.name === 'locks')).toMatchObject({ status: 'crit', next: 'locks' });
        expect(checks.find((c) => c.name === 'locks')!.detail).toContain(`pid ${pileup.rootPid} (idle in transaction`);
        expect(checks.find((c) => c.name === 'oldestTransaction')!.detail).toContain(`pid ${pileup.rootPid}`);
        expect(health.summary).toContain('run `locks`)');

        const locks = await run(target, 'locks');
        const findings = locks.findings as LocksFindings;
        expect(locks.status).toBe('crit');
        expect(findings.rootPids).toEqual([pileup.rootPid]);
        for (const edge of edges)
          expect(findings.sessions.find((s) => s.pid === edge.pid)?.blockingPids.sort()).toEqual(edge.blockers.sort());
        expect(toJson(locks).reasons.join('; ')).toMatch(/10 sessions waiting on locks/);
        const connections = await run(target, 'connections');
        expect(toJson(connections).reasons).toContain('Waiting on locks: 10');
        // the alert watch raises it at once, critical, without waiting for lockWaitSeconds
        const alerts = lockRules(findings, locks.report, { thresholds: target.thresholds, fireAt: 'crit' });
        expect(alerts.map((a) => [a.key.split(':').slice(0, 3).join(':'), a.severity])).toEqual([
          [`locks:root:${pileup.rootPid}`, 'crit'],
        ]);
      }
    } finally {
      await pileup.release();
      await pileup.close();
    }
  });

  it('locks warns from the waiting count alone, long before any wait reaches lockWaitSeconds', async () => {
    const pileup = await createLockPileup(lp.adminUrl, 4, 'pileup_small');
    try {
      const result = await run(monitor, 'locks');
      const waits = (result.findings as LocksFindings).sessions.flatMap((s) =>
        s.waitSeconds === null ? [] : [s.waitSeconds],
      );
      expect(Math.max(...waits)).toBeLessThan(monitor.thresholds.lockWaitSeconds.warn);
      expect(result.status).not.toBe('ok');
      expect(toJson(result).reasons.join('; ')).toMatch(/4 sessions waiting on locks/);
    } finally {
      await pileup.release();
      await pileup.close();
    }
  });
});
