import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { actionDeadlineMs } from '../../src/db/action-connection.js';
import { actionTimeouts } from '../../src/heal/execute.js';
import { loadConfig } from '../../src/config/load.js';
import { loadStateConfig } from '../../src/config/state.js';
import { checkApprover, createPolicy } from '../../src/heal/policy.js';
import { targetSchema } from '../../src/config/schema.js';
import { discoveredTargets } from '../../src/db/discover.js';

const targets = [
  { name: 'prod' },
  { name: 'staging', healing: { approvalsRequired: 3 } },
  { name: 'replica', healing: { enabled: false } },
];

describe('approval policy', () => {
  it('defaults: one approval, no self-approval, 10 minutes, on for known targets with approvers', () => {
    const policy = createPolicy({ approvers: ['U1'], targets });
    expect([policy.allowSelfApproval, policy.expiryMinutes, policy.approvalsRequired('terminate', 'prod')]).toEqual([
      false,
      10,
      1,
    ]);
    expect(['prod', 'staging', 'replica', 'unknown'].map(policy.enabledFor)).toEqual([true, true, false, false]);
  });

  it('is off everywhere without approvers, or when the healing section turns it off', () => {
    expect(createPolicy({ targets }).enabledFor('prod')).toBe(false);
    expect(createPolicy({ approvers: ['U1'], healing: { enabled: false }, targets }).enabledFor('prod')).toBe(false);
  });

  it('takes the strictest approval count of global, per action and per target', () => {
    const policy = createPolicy({
      approvers: ['U1'],
      healing: { approvalsRequired: 2, actions: { 'drop-index': { approvalsRequired: 4 } } },
      targets,
    });
    expect(policy.approvalsRequired('terminate', 'prod')).toBe(2);
    expect(policy.approvalsRequired('drop-index', 'prod')).toBe(4);
    expect(policy.approvalsRequired('terminate', 'staging')).toBe(3);
  });

  it('reads a live list at each call: added targets (discovered ones with their entry settings) heal, removed ones do not', () => {
    const entry = targetSchema.parse({
      name: 'main',
      url: 'postgres://mon@db1:5432/postgres',
      discover: 'all-databases',
      healing: { approvalsRequired: 2 },
    });
    const quiet = targetSchema.parse({
      name: 'quiet',
      url: 'postgres://mon@db2:5432/postgres',
      discover: 'all-databases',
      healing: { enabled: false },
    });
    let live = [entry, quiet];
    const policy = createPolicy({ approvers: ['U1'], targets: () => live });
    expect(policy.enabledFor('main/app')).toBe(false);
    live = [
      entry,
      quiet,
      ...discoveredTargets(entry, [{ oid: 16_390, name: 'app' }]),
      ...discoveredTargets(quiet, [{ oid: 16_391, name: 'app' }]),
    ];
    expect([policy.enabledFor('main/app'), policy.approvalsRequired('terminate', 'main/app')]).toEqual([true, 2]);
    expect(policy.enabledFor('quiet/app')).toBe(false);
    live = [entry];
    expect(policy.enabledFor('main/app')).toBe(false);
  });

  it('resolves user groups at click time and fails closed when the lookup fails', async () => {
    const policy = createPolicy({ approvers: ['U1'], healing: { approvers: ['S_DBA', 'S_BROKEN'] }, targets });
    let members = ['U2'];
    const resolve = async (id: string) => {
      if (id === 'S_BROKEN') throw new Error('usergroups.users.list: missing_scope');
      return members;
    };
    expect(await checkApprover(policy, 'U1', resolve)).toEqual({ ok: true, via: 'U1' });
    expect(await checkApprover(policy, 'U2', resolve)).toEqual({ ok: true, via: 'S_DBA' });
    members = [];
    expect(await checkApprover(policy, 'U2', resolve)).toEqual({
      ok: false,
      detail: 'not in U1, S_DBA, S_BROKEN (group lookup failed: S_BROKEN: usergroups.users.list: missing_scope)',
    });
  });
});

describe('healing configuration', () => {
  it('reads PGMEDIC_APPROVERS and leaves the state database unset (healing off) by default', () => {
    const defaults = {
      ownerUrl: undefined,
      shutdownGraceMs: 30_000,
      limbo: { heartbeatMs: 10_000, staleAfterMs: 60_000, sweepMs: 30_000 },
    };
    expect(loadStateConfig({})).toEqual({ url: undefined, approvers: [], ...defaults });
    expect(
      loadStateConfig({
        PGMEDIC_STATE_DATABASE_URL: 'postgres://pgmedic@state/pgmedic',
        PGMEDIC_APPROVERS: 'U0123ABCD, S0456EFGH',
      }),
    ).toEqual({
      url: 'postgres://pgmedic@state/pgmedic',
      approvers: ['U0123ABCD', 'S0456EFGH'],
      ...defaults,
    });
    expect(() => loadStateConfig({ PGMEDIC_APPROVERS: 'alice' })).toThrow('PGMEDIC_APPROVERS');
  });

  it('reads the shutdown grace and the executor heartbeat settings, and refuses values that break the watch', () => {
    const env = {
      PGMEDIC_SHUTDOWN_GRACE_SECONDS: '5',
      PGMEDIC_HEARTBEAT_SECONDS: '0.2',
      PGMEDIC_EXECUTOR_STALE_SECONDS: '1.5',
      PGMEDIC_LIMBO_SWEEP_SECONDS: '0.5',
    };
    expect(loadStateConfig(env)).toMatchObject({
      shutdownGraceMs: 5_000,
      limbo: { heartbeatMs: 200, staleAfterMs: 1_500, sweepMs: 500 },
    });
    for (const [key, value] of [
      ['PGMEDIC_SHUTDOWN_GRACE_SECONDS', '0x10'],
      ['PGMEDIC_HEARTBEAT_SECONDS', '-1'],
      ['PGMEDIC_LIMBO_SWEEP_SECONDS', '1e3'],
      ['PGMEDIC_SHUTDOWN_GRACE_SECONDS', '99999'],
    ] as const) {
      expect(() => loadStateConfig({ [key]: value }), `${key}=${value}`).toThrow(
        `${key}: got "${value}"; seconds as a plain number`,
      );
    }
    expect(() => loadStateConfig({ PGMEDIC_HEARTBEAT_SECONDS: '40' })).toThrow(
      /PGMEDIC_EXECUTOR_STALE_SECONDS: .*at least twice PGMEDIC_HEARTBEAT_SECONDS/,
    );
    expect(() => loadStateConfig({ PGMEDIC_STATE_OWNER_URL: 'postgres://owner@state/pgmedic' })).toThrow(
      'needs PGMEDIC_STATE_DATABASE_URL too',
    );
  });

  it('reads the healing section and per-target healing from YAML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgmedic-heal-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'pgmedic.yml');
    writeFileSync(
      path,
      `
targets:
  - name: prod
    url: postgres://monitor@prod/app
    actionUrl: postgres://healer@prod/app
    healing: { approvalsRequired: 2, statementTimeoutMs: 14400000, lockTimeoutMs: 5000 }
  - name: replica
    url: postgres://monitor@replica/app
    healing: { enabled: false }
healing:
  approvers: [U0123ABCD, S0456EFGH]
  expiryMinutes: 5
  actions:
    drop-index: { approvalsRequired: 3 }
`,
    );
    const config = await loadConfig({ PGMEDIC_CONFIG: path });
    const policy = createPolicy({
      approvers: ['U0999ZZZZ'],
      ...(config.healing ? { healing: config.healing } : {}),
      targets: config.targets,
    });
    expect(policy.approvers).toEqual(['U0999ZZZZ', 'U0123ABCD', 'S0456EFGH']);
    expect([
      policy.expiryMinutes,
      policy.approvalsRequired('terminate', 'prod'),
      policy.approvalsRequired('drop-index', 'prod'),
    ]).toEqual([5, 2, 3]);
    expect([policy.enabledFor('prod'), policy.enabledFor('replica')]).toEqual([true, false]);
    // Action timeouts: the target's own replace each action's; elsewhere the action's stand.
    const reindex = { statementTimeoutMs: 3 * 60 * 60 * 1000, lockTimeoutMs: 2_000 };
    expect(actionTimeouts(config.targets[0]!, reindex)).toEqual({
      statementTimeoutMs: 14_400_000,
      lockTimeoutMs: 5_000,
    });
    expect(actionTimeouts(config.targets[1]!, reindex)).toEqual(reindex);
    expect(actionDeadlineMs(14_400_000)).toBe(14_430_000);
    expect(actionDeadlineMs(3_000)).toBe(6_000);
  });

  it('refuses action timeouts outside their bounds, naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgmedic-heal-'));
    const path = join(dir, 'pgmedic.yml');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      path,
      'targets:\n  - name: prod\n    url: postgres://monitor@prod/app\n    healing: { statementTimeoutMs: 10, lockTimeoutMs: "5s" }\n',
    );
    await expect(loadConfig({ PGMEDIC_CONFIG: path })).rejects.toThrow(
      /targets\.0\.healing\.statementTimeoutMs: got 10;[^\n]*\n[^\n]*targets\.0\.healing\.lockTimeoutMs: got "5s"/,
    );
  });
});
