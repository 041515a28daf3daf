import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createVacuumStarved, type VacuumStarved } from '../support/scenarios/vacuum-starved.js';
import { createDatabases } from '../support/schedule.js';

let server: TestServer;
let admin: pg.Client;
let starved: VacuumStarved;
const EXIT = { ok: 0, warn: 1, crit: 2 } as const;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state', 'blank']);
  starved = await createVacuumStarved(server.url('app'));
  const state = createStatePool(server.url('state'));
  await migrateStateDatabase(state);
  await state.end();
}, 60_000);
afterAll(async () => {
  await starved?.release();
  await starved?.close();
  await admin?.end();
  await server?.stop();
});

/** bin/pgmedic as a user runs it; a non-zero exit is the digest's status, not a failure. */
async function pgmedic(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('PGMEDIC_') && !key.startsWith('PG') && key !== 'DATABASE_URL',
    ),
  );
  try {
    const { stdout, stderr } = await promisify(execFile)('bin/pgmedic', args, {
      env: { ...cleanEnv, NO_COLOR: '1', DATABASE_URL: server.url('app'), ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('bin/pgmedic digest', () => {
  it('prints the digest without a state database, and says trends need one', async () => {
    const { code, stdout } = await pgmedic(['digest'], {});
    expect(stdout).toContain('Digest: now');
    expect(stdout).toContain(`default · Vacuum`);
    expect(stdout).toContain(starved.table);
    expect(stdout).toContain('Trends (what changed since yesterday and over 7 days) need PGMEDIC_STATE_DATABASE_URL');
    const json = await pgmedic(['digest', '--format', 'json'], {});
    const digest = JSON.parse(json.stdout) as {
      status: keyof typeof EXIT;
      targets: { target: string; reachable: boolean }[];
    };
    expect(digest.targets).toEqual([expect.objectContaining({ target: 'default', reachable: true })]);
    expect(code).toBe(EXIT[digest.status]);
  });

  it('with the state database, records today’s snapshot (the trends’ ground truth) and drops the note', async () => {
    const { stdout, stderr } = await pgmedic(['digest', '--target', 'default'], {
      PGMEDIC_STATE_DATABASE_URL: server.url('state'),
    });
    expect(stdout).toContain('Digest: now');
    expect(stdout).not.toContain('need PGMEDIC_STATE_DATABASE_URL');
    expect(stderr).toBe('');
    const state = await connect(server.url('state'));
    const { rows } = await state.query<{ relation: string }>(
      "SELECT relation FROM pgmedic.relation_snapshots WHERE target = 'default' AND relation = $1",
      [starved.table],
    );
    await state.end();
    expect(rows).toEqual([{ relation: starved.table }]);
  });

  it('says why there are no trends when the state database has no pgmedic schema, and refuses unknown targets', async () => {
    const blank = await pgmedic(['digest'], { PGMEDIC_STATE_DATABASE_URL: server.url('blank') });
    expect(blank.stdout).toContain('No trends: the state database has no pgmedic schema yet');
    const unknown = await pgmedic(['digest', '--target', 'nope'], {});
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('There is no target named "nope"');
  });
});
