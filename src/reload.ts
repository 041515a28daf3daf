import { unwatchFile, watchFile } from 'node:fs';
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
 * How often the config file's metadata is looked at. Polling (stat) rather than fs.watch: it follows the symlink a
 * Kubernetes ConfigMap swaps and sees a file replaced by rename, which inotify on the old inode does not.
 */
const FILE_POLL_MS = 2_000;

/**
 * SIGHUP, or a change to the file (its mtime, size or inode): the config file is read and checked again. A valid file replaces the targets (new ones answer commands
 * and join the watch and its leases at the next round, removed ones leave, `discover:` servers are listed again);
 * an invalid one changes nothing, and the log says why. `running` is the object every surface holds: it is updated
 * in place, so channel defaults and access lists follow too.
 */
export function reloadConfigFile(running: Config, env: Env, discovery: Discovery, logger: Logger): () => void {
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
  const path = env.PGMEDIC_CONFIG;
  const onChange = (now: { mtimeMs: number; size: number; ino: number }, before: typeof now) => {
    // A file that disappeared for a moment (replaced by rename) comes back as a change; its absence is not one.
    if (!now.mtimeMs || (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino)) return;
    logger.info({ path }, 'the config file changed; reading it again');
    onHup();
  };
  if (path) watchFile(path, { interval: FILE_POLL_MS, persistent: false }, onChange);
  return () => {
    process.off('SIGHUP', onHup);
    if (path) unwatchFile(path, onChange);
  };
}
