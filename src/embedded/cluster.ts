import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { nativeDir, runAsForCurrentUser, type Major, type RunAs } from './binaries.js';

export interface ClusterOptions {
  major: Major;
  /** Where the data folder lives; a fresh temp folder when left out. Kept between runs when given. */
  dataDir?: string;
  port?: number;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

export interface Cluster {
  major: Major;
  port: number;
  dataDir: string;
  url(database?: string, user?: string): string;
  stop(): Promise<void>;
}

const BASE_SETTINGS: Record<string, string | number> = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track': 'all',
  max_connections: 100,
  wal_level: 'replica',
  max_wal_senders: 10,
  max_replication_slots: 10,
  hot_standby: 'on',
  max_prepared_transactions: 10,
  track_io_timing: 'on',
};

/** The server gets a minimal environment: no secrets of ours leak into it, and messages stay in C locale. */
const SERVER_ENV = { LC_ALL: 'C' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function ownTree(path: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  chownSync(path, runAs.uid, runAs.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) ownTree(child, runAs);
    else if (!entry.isSymbolicLink()) chownSync(child, runAs.uid, runAs.gid);
  }
}

function run(bin: string, args: string[], runAs: RunAs | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      uid: runAs?.uid,
      gid: runAs?.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: SERVER_ENV,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${bin} exited with ${code}: ${output.slice(-2000)}`)),
    );
  });
}

/** initdb once per major into a cached template; clusters start from a copy of it (≈10× faster than initdb). */
async function templateFor(major: Major, runAs: RunAs | undefined): Promise<string> {
  const template = join(tmpdir(), `pgmedic-template-${major}-${runAs ? 'nobody' : 'self'}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  const scratch = mkdtempSync(join(tmpdir(), `pgmedic-initdb-${major}-`));
  chmodSync(scratch, 0o700);
  ownTree(scratch, runAs);
  const bin = join(nativeDir(major, runAs), 'bin');
  await run(
    join(bin, 'initdb'),
    ['-D', scratch, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    runAs,
  );
  try {
    renameSync(scratch, template);
  } catch {
    rmSync(scratch, { recursive: true, force: true });
  }
  return template;
}

/** Create (if needed) and start a PostgreSQL server from the embedded binaries. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const runAs = runAsForCurrentUser();
  const { major } = options;
  // A cluster in a temp folder of its own is removed again when it stops; a caller's dataDir is kept.
  const scratchParent = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), `pgmedic-pg${major}-`));
  const dataDir = options.dataDir ?? join(scratchParent!, 'data');
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const template = await templateFor(major, runAs);
    cpSync(template, dataDir, { recursive: true, verbatimSymlinks: true });
    chmodSync(dataDir, 0o700);
    ownTree(dataDir, runAs);
  }
  if (runAs) chmodSync(join(dataDir, '..'), 0o755);
  const port = options.port ?? (await freePort());
  return launch({ major, dataDir, port, settings: options.settings ?? {}, runAs, removeOnStop: scratchParent });
}

interface LaunchSpec {
  major: Major;
  dataDir: string;
  port: number;
  settings: Record<string, string | number>;
  runAs: RunAs | undefined;
  /** A temp folder (holding dataDir) to delete once the server has stopped. */
  removeOnStop?: string | undefined;
}

export async function launch(spec: LaunchSpec): Promise<Cluster> {
  const bin = join(nativeDir(spec.major, spec.runAs), 'bin', 'postgres');
  const settings = { ...BASE_SETTINGS, unix_socket_directories: '', port: spec.port, ...spec.settings };
  const args = ['-D', spec.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = spawn(bin, args, {
    uid: spec.runAs?.uid,
    gid: spec.runAs?.gid,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: SERVER_ENV,
  });
  let log = '';
  child.stderr?.on('data', (chunk) => (log = (log + chunk).slice(-8000)));
  const url = (database = 'postgres', user = 'postgres') => `postgres://${user}@127.0.0.1:${spec.port}/${database}`;
  await waitUntilAccepting(url(), child, () => log);
  // If our process exits without stopping the server (a test that timed out, a crash), ask it to shut down too.
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    await stopProcess(child);
    if (spec.removeOnStop) rmSync(spec.removeOnStop, { recursive: true, force: true });
  };
  return { major: spec.major, port: spec.port, dataDir: spec.dataDir, url, stop };
}

async function waitUntilAccepting(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`postgres exited during start-up: ${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`postgres did not accept connections within 30 s: ${log()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
  });
}
