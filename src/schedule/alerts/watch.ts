import type { Target } from '../../db/targets.js';
import { createLimiter } from '../bounded.js';
import { reconcile, type AlertDeps, type Transitions } from './lifecycle.js';
import { observeTarget } from './observe.js';

export interface AlertWatchOptions extends AlertDeps {
  targets: readonly Target[];
  intervalMs: number;
  fireAt: 'warn' | 'crit';
  /** Targets looked at once. */
  concurrency?: number;
  now?: () => Date;
}

export interface AlertWatch {
  start(): void;
  stop(): Promise<void>;
  /** One round over every target (what the timer runs); returns what this copy posted, updated, resolved. */
  checkOnce(): Promise<Transitions[]>;
}

/**
 * Every copy of the bot runs its own watch: looking twice is cheap, and the state database's
 * compare-and-sets make sure each alert is posted, updated and resolved once. A round still running
 * when the next is due makes that one skip.
 */
export function createAlertWatch(options: AlertWatchOptions): AlertWatch {
  const now = options.now ?? (() => new Date());
  const limit = createLimiter(options.concurrency ?? 8);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  const checkOnce = () =>
    Promise.all(
      options.targets.map((target) =>
        limit(async () => {
          try {
            return await reconcile(options, await observeTarget(target, options.fireAt, now));
          } catch (error) {
            options.log.error({ target: target.name, error: error instanceof Error ? error.message : String(error) }, 'alert check failed');
            return { posted: [], updated: [], resolved: [] };
          }
        }),
      ),
    );

  const tick = () => {
    if (stopped) return;
    if (!running) running = checkOnce().finally(() => (running = undefined));
    timer = setTimeout(tick, options.intervalMs - (Date.now() % options.intervalMs));
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    checkOnce,
  };
}
