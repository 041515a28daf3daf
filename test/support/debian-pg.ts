import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAsForCurrentUser } from '../../src/embedded/binaries.js';
import { freePort } from '../../src/embedded/cluster.js';

/**
 * Debian's PostgreSQL 15 (apt: postgresql-15, postgresql-15-hypopg; .ci/run installs them): the one server here
 * with extensions the embedded binaries lack (hypopg). initdb and pg_ctl in a temp folder, removed on stop.
 */
export const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';

export interface DebianServer {
  url(database?: string): string;
  stop(): Promise<void>;
}

export const debianPg15Available = (): boolean => existsSync(join(DEBIAN_PG15_BIN, 'pg_ctl'));

export async function startDebianPg15(): Promise<DebianServer> {
  if (!debianPg15Available())
    throw new Error(`No Debian PostgreSQL 15 at ${DEBIAN_PG15_BIN}: apt-get install postgresql-15 (see .ci/run).`);
  const runAs = runAsForCurrentUser();
  const scratch = mkdtempSync(join(tmpdir(), 'pgmedic-debian15-'));
  const dataDir = join(scratch, 'data');
  chmodSync(scratch, 0o755);
  if (runAs) chownSync(scratch, runAs.uid, runAs.gid);
  const pgCtl = (args: string[]) => runTool(join(DEBIAN_PG15_BIN, 'pg_ctl'), args, runAs);
  const port = await freePort();
  try {
    await runTool(
      join(DEBIAN_PG15_BIN, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
      runAs,
    );
    const settings = [
      'listen_addresses=127.0.0.1',
      `port=${port}`,
      "unix_socket_directories=''",
      'fsync=off',
      'shared_preload_libraries=pg_stat_statements',
      'pg_stat_statements.track=all',
    ];
    const options = settings.map((s) => `-c ${s}`).join(' ');
    await pgCtl(['start', '-w', '-D', dataDir, '-l', join(scratch, 'log'), '-o', options]);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  return {
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      await pgCtl(['stop', '-w', '-m', 'fast', '-D', dataDir]).catch(() => undefined);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

function runTool(bin: string, args: string[], runAs: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      uid: runAs?.uid,
      gid: runAs?.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${bin} exited with ${code}: ${output.slice(-2000)}`)),
    );
  });
}
