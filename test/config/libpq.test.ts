import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startCluster, type Cluster } from '../../src/embedded/cluster.js';

let cluster: Cluster;
let socketDir: string;

beforeAll(async () => {
  // World-writable: the server may run as `nobody` while the tests run as root.
  socketDir = mkdtempSync(join(tmpdir(), 'pgmedic-socket-'));
  chmodSync(socketDir, 0o777);
  cluster = await startCluster({ major: 18, settings: { unix_socket_directories: socketDir } });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(socketDir, { recursive: true, force: true });
});

/** bin/pgmedic with only the given variables describing the database, as a user's shell would have them. */
async function pgmedic(args: string[], env: Record<string, string>, cwd?: string) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PG') && key !== 'DATABASE_URL'),
  );
  const bin = join(process.cwd(), 'bin/pgmedic');
  try {
    const { stdout } = await promisify(execFile)(bin, args, {
      env: { ...clean, NO_COLOR: '1', ...env },
      ...(cwd ? { cwd } : {}),
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout + failed.stderr };
  }
}

describe('libpq variables mean what they mean to psql', () => {
  it('PGHOST as a socket directory reaches the server (it used to become a database name)', async () => {
    const result = await pgmedic(['health', '--format', 'json'], {
      PGHOST: socketDir,
      PGPORT: String(cluster.port),
      PGUSER: 'postgres',
      PGDATABASE: 'postgres',
    });
    expect(result.stdout).toContain('"command": "health"');
    expect(result.code).toBeLessThan(3);
  });

  it('database <name> reaches another database over the same socket', async () => {
    const result = await pgmedic(['database', 'template1', '--format', 'json'], {
      PGHOST: socketDir,
      PGPORT: String(cluster.port),
      PGUSER: 'postgres',
    });
    expect(result.stdout).toContain('template1');
    expect(result.code).toBeLessThan(3);
  });

  it('PGSERVICE is refused with what to set instead', async () => {
    await expect(loadConfig({ PGSERVICE: 'prod' })).rejects.toThrow(/does not read pg_service.conf: set DATABASE_URL/);
  });

  it('a .env file in the working directory is read, and the environment wins over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgmedic-dotenv-'));
    try {
      writeFileSync(join(dir, '.env'), `DATABASE_URL=${cluster.url('postgres')}\nNO_COLOR=\n`);
      const fromFile = await pgmedic(['health', '--format', 'json'], {}, dir);
      expect(fromFile.stdout).toContain('"command": "health"');
      const overridden = await pgmedic(['health'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, dir);
      expect(overridden.code).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
