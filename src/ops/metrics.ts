import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Targets } from '../db/targets.js';
import { onCommandFinished } from '../engine/run.js';
import { firingAlertCounts, requestsByStatus } from '../state/ops-reads.js';
import type { Queryable } from '../state/requests.js';

/**
 * Process-wide Prometheus metrics. Commands are counted where they run (engine/run.ts); everything shared
 * between running copies (approval requests, firing alerts) is read from the state database at scrape
 * time, so each copy reports the same truth instead of its own share of it.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'pgmedic_' });

const commandsRun = new Counter({
  name: 'pgmedic_commands_total',
  help: 'Diagnostics run, by command and outcome (ok, warn, crit from the report; error when it failed)',
  labelNames: ['command', 'status'] as const,
  registers: [registry],
});

const commandDuration = new Histogram({
  name: 'pgmedic_command_duration_seconds',
  help: 'Time from start to report, by command',
  labelNames: ['command'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export function recordCommand(command: string, status: string, seconds: number): void {
  commandsRun.inc({ command, status });
  commandDuration.observe({ command }, seconds);
}
onCommandFinished(recordCommand);

/** What the scrape reads from: the bot's targets and its state database (either may be absent). */
export interface MetricSources {
  targets?: Targets;
  statePool?: Queryable;
}

let sources: MetricSources = {};

/** Called once the bot has its targets and state database (the last call wins). */
export function setMetricSources(next: MetricSources): void {
  sources = next;
}

new Gauge({
  name: 'pgmedic_pool_connections',
  help: 'Connections in pgmedic pools by pool (a target name, or "state") and state (total, idle, waiting = clients queued)',
  labelNames: ['pool', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const pools: [string, PoolUsage | undefined][] = (sources.targets?.names() ?? []).map((name) => [
      name,
      sources.targets!.get(name).poolUsage?.(),
    ]);
    pools.push(['state', usageOf(sources.statePool)]);
    for (const [pool, usage] of pools) {
      if (!usage) continue;
      for (const [state, value] of Object.entries(usage)) this.set({ pool, state }, value);
    }
  },
});

interface PoolUsage {
  total: number;
  idle: number;
  waiting: number;
}

function usageOf(pool: unknown): PoolUsage | undefined {
  const p = pool as { totalCount?: number; idleCount?: number; waitingCount?: number } | undefined;
  return typeof p?.totalCount === 'number'
    ? { total: p.totalCount, idle: p.idleCount ?? 0, waiting: p.waitingCount ?? 0 }
    : undefined;
}

const stateUp = new Gauge({
  name: 'pgmedic_state_database_up',
  help: '1 when the last scrape could read the state database',
  registers: [registry],
});

new Gauge({
  name: 'pgmedic_approval_requests',
  help: 'Approval requests in the state database by status (pending, approved, succeeded, failed, rejected, expired, target_changed, outcome_unknown, interrupted)',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const rows = await stateRows(requestsByStatus);
    for (const row of rows ?? []) this.set({ status: row.status }, row.count);
  },
});

new Gauge({
  name: 'pgmedic_alerts_firing',
  help: 'Alerts firing now, by target and severity',
  labelNames: ['target', 'severity'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const rows = await stateRows(firingAlertCounts);
    for (const row of rows ?? []) this.set({ target: row.target, severity: row.severity }, row.count);
  },
});

/** Undefined without a state database or when it does not answer (the up gauge says which). */
async function stateRows<T>(read: (db: Queryable) => Promise<T[]>): Promise<T[] | undefined> {
  if (!sources.statePool) return undefined;
  try {
    const rows = await read(sources.statePool);
    stateUp.set(1);
    return rows;
  } catch {
    stateUp.set(0);
    return undefined;
  }
}
