import { DISCOVERY_DEFAULT_INTERVAL_SECONDS, type Config, type TargetConfig } from '../config/schema.js';
import { discoveredTargets, listConnectableDatabases } from './discover.js';
import type { Targets } from './targets.js';

export interface DiscoveryLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface Discovery {
  /** Lists every `discover:` server now and swaps the target list in; resolves when done. */
  refresh(): Promise<void>;
  /** A new config (SIGHUP): its targets replace the old ones, then its servers are discovered. */
  reconfigure(config: Config): Promise<void>;
  /**
   * Called after each swap that added or removed targets (removed targets' alerts and leases are closed there);
   * `removed` also carries names a failed call left over, until a call succeeds.
   */
  onChange(listener: (change: TargetChange) => Promise<void>): void;
  start(): void;
  stop(): void;
}

export interface TargetChange {
  added: string[];
  removed: string[];
}

/**
 * The live target list: the configured targets plus, for each with `discover: all-databases`, one target per
 * connectable database of its server, listed again every `discovery.intervalSeconds`. A server that does not answer
 * keeps the databases it had (a blip must not drop their watches); its configured target still says it is down.
 */
export function createDiscovery(targets: Targets, initial: Config, log: DiscoveryLog): Discovery {
  let config = initial;
  const found = new Map<string, TargetConfig[]>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const listeners: ((change: TargetChange) => Promise<void>)[] = [];
  // Removed targets whose listeners have not all succeeded yet (state database down): retried at each refresh.
  const unsettled = new Set<string>();

  const discoverAll = async () => {
    const servers = config.targets.filter((t) => t.discover);
    for (const name of [...found.keys()]) if (!servers.some((s) => s.name === name)) found.delete(name);
    await Promise.all(
      servers.map(async (server) => {
        try {
          found.set(server.name, discoveredTargets(server, await listConnectableDatabases(server)));
        } catch (error) {
          log.warn(
            { server: server.name, error: error instanceof Error ? error.message : String(error) },
            'could not list the databases of a server; keeping the ones found before',
          );
        }
      }),
    );
    const configured = new Set(config.targets.map((t) => t.name));
    const discovered = [...found.values()].flat().filter((t) => !configured.has(t.name));
    const change = await targets.replace?.([...config.targets, ...discovered], config.defaultTarget);
    if (!change) return;
    if (change.added.length || change.removed.length)
      log.info({ added: change.added, removed: change.removed }, 'targets changed');
    for (const name of change.added) unsettled.delete(name);
    for (const name of change.removed) unsettled.add(name);
    if (!unsettled.size && !change.added.length) return;
    const removed = [...unsettled];
    try {
      for (const listener of listeners) await listener({ added: change.added, removed });
      for (const name of removed) unsettled.delete(name);
    } catch (error) {
      // Kept: the next discovery (its timer, or a SIGHUP) tries these names again.
      log.warn(
        { removed, error: error instanceof Error ? error.message : String(error) },
        'could not close the alerts and leases of removed targets (state database); retried at the next discovery',
      );
    }
  };
  const refresh = () => {
    running ??= discoverAll().finally(() => {
      running = undefined;
    });
    return running;
  };
  const intervalMs = () => (config.discovery?.intervalSeconds ?? DISCOVERY_DEFAULT_INTERVAL_SECONDS) * 1000;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh().finally(arm), intervalMs());
    timer.unref();
  };
  return {
    refresh,
    async reconfigure(next) {
      await running;
      config = next;
      await refresh();
    },
    onChange: (listener) => void listeners.push(listener),
    start: arm,
    stop: () => clearTimeout(timer),
  };
}
