import { loadConfig, type Env } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Discovery } from './db/discovery.js';
import { describeError } from './errors.js';
import type { Logger } from './log/logger.js';

/**
 * Sections a reload does not apply: the schedule, the policy's top-level settings and the Slack wiring are built
 * once at start. A target's own `healing:` does apply: the policy reads the live targets.
 */
const RESTART_ONLY = ['healing', 'digests', 'alerts'] as const;

/**
 * SIGHUP: the config file is read and checked again. A valid file replaces the targets (new ones answer commands
 * and join the watch and its leases at the next round, removed ones leave, `discover:` servers are listed again);
 * an invalid one changes nothing, and the log says why. `running` is the object every surface holds: it is updated
 * in place, so channel defaults and access lists follow too.
 */
export function reloadOnSighup(running: Config, env: Env, discovery: Discovery, logger: Logger): () => void {
  // Signals in a row run one after another, so the last file written is the one in force.
  let queue: Promise<void> = Promise.resolve();
  const reload = async () => {
    let next: Config;
    try {
      next = await loadConfig(env);
    } catch (error) {
      logger.error(
        { problems: describeError(error).text.split('\n') },
        'the new config file is not valid; the running config stays in force',
      );
      return;
    }
    const restartOnly = RESTART_ONLY.filter((k) => JSON.stringify(running[k]) !== JSON.stringify(next[k]));
    running.targets = next.targets;
    running.defaultTarget = next.defaultTarget;
    running.discovery = next.discovery;
    await discovery.reconfigure(running);
    logger.info({ targets: running.targets.map((t) => t.name) }, 'config file reloaded');
    if (restartOnly.length)
      logger.warn({ sections: restartOnly }, 'these sections changed and take effect at the next restart');
  };
  const onHup = () => {
    queue = queue.then(reload).catch((error: unknown) => logger.error({ err: error }, 'config reload failed'));
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
