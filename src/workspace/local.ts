import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { chooseStartMode, loadLocalSettings, type LocalSettings } from '../config/start-mode.js';
import { demoBlockingChain } from '../embedded/demo/blocking-chain.js';
import { startDemoDatabase, type DemoDatabase } from '../embedded/demo/database.js';
import { startWorkload } from '../embedded/demo/workload.js';
import { APPROVER_ID, WORKSPACE_CHANNEL } from './people.js';
import { startWorkspace, type DemoControls } from './server.js';

/** The workspace page lets anyone pick who they are: healing there stays off unless the run allows it. */
export function withWorkspaceHealing(config: Config, healing: boolean): Config {
  return healing ? config : { ...config, healing: { ...config.healing, enabled: false } };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** A local run: the environment the bot starts with, and what to do once it listens and when it stops. */
export interface LocalRun {
  env: Env;
  /** Healing from the page: on for the embedded demo, on your own databases only with PGMEDIC_WORKSPACE_HEALING=on. */
  healing: boolean;
  /** The bot listens on `port`: connect the page to it and say where to open it. */
  attach(port: number): void;
  stop(): Promise<void>;
}

/** Undefined when Slack is configured (the bot connects to Slack as before); otherwise the local workspace. */
export async function startLocalRun(env: Env, say: (line: string) => void): Promise<LocalRun | undefined> {
  const mode = chooseStartMode(env);
  if (mode === 'slack') return undefined;
  const settings = loadLocalSettings(env);
  const demo = mode === 'demo' ? await startDemo(settings, say) : undefined;
  try {
    return await withWorkspace(env, settings, demo, say);
  } catch (error) {
    await demo?.stop();
    throw error;
  }
}

interface RunningDemo extends DemoControls {
  database: DemoDatabase;
  configPath: string;
  stop(): Promise<void>;
}

async function startDemo(settings: LocalSettings, say: (line: string) => void): Promise<RunningDemo> {
  const database = await startDemoDatabase({ dataDir: settings.demoDir, orders: settings.demoOrders, progress: say });
  const workload = startWorkload(database.urls.app, () => undefined); // the demo shop's errors are not pgmedic's
  const chain = demoBlockingChain(database.urls.app);
  const configPath = join(dirname(settings.demoDir), 'pgmedic.yml');
  writeFileSync(configPath, demoConfigYaml(database, settings.demoAlertSeconds));
  return {
    database,
    configPath,
    startBlockingChain: () => chain.start(),
    async stop() {
      await chain.close();
      await workload.stop();
      await database.stop();
    },
  };
}

/** Written on every start (the port can change): one target, alerts and a morning digest in the channel. */
function demoConfigYaml(database: DemoDatabase, alertSeconds: number): string {
  const header = '# Written by `npm start` for the embedded demo on every start; edits are overwritten.\n';
  return (
    header +
    stringify({
      targets: [{ name: 'demo', url: database.urls.monitor, actionUrl: database.urls.action }],
      defaultTarget: 'demo',
      alerts: { channel: WORKSPACE_CHANNEL.id, intervalSeconds: alertSeconds },
      digests: [{ name: 'morning', cron: '0 9 * * *', channel: WORKSPACE_CHANNEL.id }],
    })
  );
}

/** The demo's state database, with its owner role for migrations, unless the person set their own. */
function demoState(env: Env, database: DemoDatabase): Env {
  if (env.PGMEDIC_STATE_DATABASE_URL) return { PGMEDIC_STATE_DATABASE_URL: env.PGMEDIC_STATE_DATABASE_URL };
  return { PGMEDIC_STATE_DATABASE_URL: database.urls.state, PGMEDIC_STATE_OWNER_URL: database.urls.stateOwner };
}

async function withWorkspace(
  env: Env,
  settings: LocalSettings,
  demo: RunningDemo | undefined,
  say: (line: string) => void,
): Promise<LocalRun> {
  const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(24).toString('hex');
  const workspace = await startWorkspace({
    port: settings.port,
    host: settings.host,
    botToken,
    signingSecret,
    publicHost: settings.publicHost,
    ...(demo ? { demo } : {}),
  });
  if (!LOOPBACK.has(settings.host)) {
    say(
      `warning: the workspace listens on ${settings.host}, beyond this machine; whoever has the printed address can act as any workspace user, the approver included`,
    );
  }
  const healing = Boolean(demo) || settings.healingOnOwnDatabases;
  const botEnv: Env = {
    ...env,
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: workspace.apiUrl,
    // The bot's own receiver is internal here: the page is the one address people open.
    PORT: '0',
    PGMEDIC_LISTEN_HOST: '127.0.0.1',
    PGMEDIC_APPROVERS: env.PGMEDIC_APPROVERS || APPROVER_ID,
    ...(demo ? { PGMEDIC_CONFIG: demo.configPath, ...demoState(env, demo.database) } : {}),
  };
  return {
    env: botEnv,
    healing,
    attach(port) {
      workspace.connectApp(`http://127.0.0.1:${port}`);
      const what = demo
        ? 'the embedded demo database'
        : `your databases, healing ${healing ? 'on' : 'off (PGMEDIC_WORKSPACE_HEALING=on turns it on)'}`;
      say(`local workspace ready: open ${workspace.url} (pgmedic on ${what}; Ctrl-C stops everything)`);
    },
    async stop() {
      await workspace.stop();
      await demo?.stop();
    },
  };
}
