import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** `npm start`'s entry as a child process with nothing configured: the embedded demo and the local workspace. */
export interface LocalRunProcess {
  /** The page's base address (no token). */
  url: string;
  /** The address as printed, with its access token: what a person opens. */
  pageUrl: string;
  /** A Cookie header that signs a plain HTTP client in, as the browser is after opening pageUrl. */
  cookie: string;
  dataDir: string;
  /** The demo target's URLs from the config the run wrote (the monitor role sees pg_stat_activity). */
  monitorUrl: string;
  output(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const CONFIGURING_KEYS = /^(SLACK_|DATABASE_URL$|PGMEDIC_|PGHOST$|PGDATABASE$|PGUSER$|PGPASSWORD$|PGPORT$)/;

export async function startLocalRunProcess(extraEnv: Record<string, string> = {}): Promise<LocalRunProcess> {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'pgmedic-demo-')), 'pg18');
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !CONFIGURING_KEYS.test(key)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...env,
      PGMEDIC_DEMO_DIR: dataDir,
      PGMEDIC_DEMO_ORDERS: '20000',
      PGMEDIC_DEMO_ALERT_SECONDS: '2',
      PGMEDIC_WORKSPACE_PORT: '0',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const pageUrl = await readyUrl(child, () => output);
  const { origin: url, port, searchParams } = new URL(pageUrl);
  const config = parse(readFileSync(join(dataDir, '..', 'pgmedic.yml'), 'utf8')) as { targets: { url: string }[] };
  return {
    url,
    pageUrl,
    cookie: `pgmedic_workspace_${port}=${searchParams.get('token')}`,
    dataDir,
    monitorUrl: config.targets[0]!.url,
    output: () => output,
    stop: () => stopChild(child),
  };
}

function readyUrl(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "open http://…" line within 90 s:\n${output()}`)), 90_000);
    const check = () => {
      const match = /open (http:\/\/localhost:\d+\/\?token=[\w-]+)/.exec(output());
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1]!);
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output()}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

export const postmasterRunning = (dataDir: string) => existsSync(join(dataDir, 'postmaster.pid'));
