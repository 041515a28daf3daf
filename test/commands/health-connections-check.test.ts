import { describe, expect, it } from 'vitest';
import type { HealthFindings } from '../../commands/health.js';
import { assessHealth } from '../../commands/health/checks.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/thresholds.js';
import { healthRules } from '../../src/schedule/alerts/rules.js';
import { quiet } from '../report/fixtures/health.js';

/**
 * The wording of health's connections check when both max_connections and an own limit are judged (the real
 * servers of connection-limits.test.ts cannot fill max_connections past crit beside a half-full limit cheaply).
 */
const measured = (connections: Partial<HealthFindings['connections']>) => {
  const { checks: _, ...m } = quiet;
  return { ...m, connections: { ...m.connections, ...connections } };
};
const connectionsCheck = (m: ReturnType<typeof measured>) =>
  assessHealth(m, DEFAULT_THRESHOLDS).find((c) => c.name === 'connections')!;
const app = { kind: 'role' as const, oid: 16400, name: 'app', inUse: 41, limit: 50 };

describe("health's connections check", () => {
  it('names max_connections first when it is the worse, and the fullest limit after it', () => {
    const check = connectionsCheck(measured({ used: 95, usedPct: 97.9, limitsAtWarn: [app] }));
    expect(check).toEqual({
      name: 'connections',
      status: 'crit',
      detail: '95 of 97 usable server-wide (97.9%); Role "app": 41 of its 50-connection limit in use',
      next: 'connections',
    });
  });

  it('is warn for a limit at warn while the server has room, and counts the others near full', () => {
    const orders = { kind: 'database' as const, oid: 16390, name: 'orders', inUse: 8, limit: 10 };
    const check = connectionsCheck(measured({ limitsAtWarn: [app, orders] }));
    expect(check).toEqual({
      name: 'connections',
      status: 'warn',
      detail:
        'Role "app": 41 of its 50-connection limit in use (1 more database or role near full; 2 of 97 usable server-wide, 2.1%)',
      next: 'connections',
    });
  });

  it('leaves a full limit to the connections alert: health raises none for it', () => {
    const full = { kind: 'database' as const, oid: 16390, name: 'orders', inUse: 3, limit: 3 };
    const m = measured({ limitsAtWarn: [full] });
    const findings: HealthFindings = { ...m, checks: assessHealth(m, DEFAULT_THRESHOLDS) };
    expect(findings.checks.find((c) => c.name === 'connections')!.status).toBe('crit');
    expect(healthRules(findings, { thresholds: DEFAULT_THRESHOLDS, fireAt: 'warn' })).toEqual([]);
  });
});
