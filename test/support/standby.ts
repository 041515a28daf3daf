import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runAsForCurrentUser } from '../../src/embedded/binaries.js';
import { freePort, launch, type Cluster } from '../../src/embedded/cluster.js';

/**
 * A streaming standby of `primary`, made without pg_basebackup (the npm binaries do not ship it):
 * non-exclusive backup start, copy the data folder, backup stop, write backup_label, start in standby mode.
 */
export async function startStandby(primary: Cluster, slotName = 'test_standby'): Promise<Cluster> {
  const runAs = runAsForCurrentUser();
  const client = new pg.Client(primary.url());
  await client.connect();
  const scratchParent = mkdtempSync(join(tmpdir(), `pgmedic-standby${primary.major}-`));
  const dataDir = join(scratchParent, 'data');
  try {
    await client.query('SELECT pg_create_physical_replication_slot($1, true)', [slotName]);
    const modern = primary.major >= 15;
    await client.query(
      modern
        ? "SELECT pg_backup_start('pgmedic-standby', true)"
        : "SELECT pg_start_backup('pgmedic-standby', true, false)",
    );
    cpSync(primary.dataDir, dataDir, { recursive: true, verbatimSymlinks: true });
    const stop = await client.query<{ labelfile: string }>(
      modern ? 'SELECT labelfile FROM pg_backup_stop(true)' : 'SELECT labelfile FROM pg_stop_backup(false, true)',
    );
    writeFileSync(join(dataDir, 'backup_label'), stop.rows[0]!.labelfile);
  } finally {
    await client.end();
  }
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
  for (const entry of readdirSync(join(dataDir, 'pg_wal'))) {
    if (entry !== 'archive_status') rmSync(join(dataDir, 'pg_wal', entry), { recursive: true, force: true });
  }
  rmSync(join(dataDir, 'pg_replslot'), { recursive: true, force: true });
  mkdirSync(join(dataDir, 'pg_replslot'));
  writeFileSync(join(dataDir, 'standby.signal'), '');
  chmodSync(dataDir, 0o700);
  chmodSync(join(dataDir, '..'), 0o755);
  if (runAs) chownTree(dataDir, runAs.uid, runAs.gid);
  const port = await freePort();
  return launch({
    major: primary.major,
    dataDir,
    port,
    runAs,
    removeOnStop: scratchParent,
    settings: {
      primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=test_standby`,
      primary_slot_name: slotName,
    },
  });
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else if (!entry.isSymbolicLink()) chownSync(child, uid, gid);
  }
}
