import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkShare } from '../../src/schedule/share.js';
import { appendAudit, readAudit } from '../../src/state/audit.js';
import { claimDelivery, pruneDeliveries } from '../../src/state/deliveries.js';
import { listLeases } from '../../src/state/leases.js';
import { MIGRATIONS, migrateStateDatabase } from '../../src/state/migrations.js';
import { auditTamperRisks, tamperWarning } from '../../src/state/privileges.js';
import { createStatePool } from '../../src/state/pool.js';
import { insertRequest, recordApproval } from '../../src/state/requests.js';
import { startBotProcess } from '../support/bot-process.js';
import { connect, waitFor } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { startSlackStandIn } from '../support/slack/standin.js';

const asRole = (url: string, role: string) => {
  const u = new URL(url);
  u.username = role;
  u.password = 'pw';
  return u.toString();
};

/** PostgreSQL's own refusal, by SQLSTATE (42501: insufficient_privilege, also "must be owner"). */
const refusal = (work: Promise<unknown>) =>
  work.then(
    () => 'allowed',
    (error: { code?: string; message: string }) => `${error.code}: ${error.message}`,
  );

describe.each([14, 18] as const)('the audit log is append-only by privilege (PostgreSQL %i)', (major) => {
  let server: TestServer;
  let ownerUrl: string;
  let runtimeUrl: string;
  let owner: pg.Pool;
  let runtime: pg.Pool;

  beforeAll(async () => {
    server = await startTestServer(major);
    const admin = await connect(server.url());
    await admin.query("CREATE ROLE pgmedic_owner LOGIN PASSWORD 'pw'; CREATE ROLE pgmedic_bot LOGIN PASSWORD 'pw'");
    await admin.query('CREATE DATABASE pgmedic_state OWNER pgmedic_owner');
    await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC').catch(() => undefined);
    await admin.end();
    ownerUrl = asRole(server.url('pgmedic_state'), 'pgmedic_owner');
    runtimeUrl = asRole(server.url('pgmedic_state'), 'pgmedic_bot');
    owner = createStatePool(ownerUrl, 2, { timeouts: false });
    // Two copies starting together: the grants run under the migration lock too.
    await Promise.all([
      migrateStateDatabase(owner, undefined, { grantTo: 'pgmedic_bot' }),
      migrateStateDatabase(createStatePool(ownerUrl, 1, { timeouts: false }), undefined, { grantTo: 'pgmedic_bot' }),
    ]);
    runtime = createStatePool(runtimeUrl);
  }, 60_000);
  afterAll(async () => {
    await runtime?.end();
    await owner?.end();
    await server?.stop();
  });

  it('the runtime role appends and reads audit rows but cannot UPDATE, DELETE, TRUNCATE, disable the trigger or drop the table', async () => {
    await appendAudit(runtime, { event: 'refused', reason: 'not_an_approver', actor: 'UMALLORY', target: 'prod' });
    expect((await readAudit(runtime, { limit: 5 })).map((r) => r.actor)).toEqual(['UMALLORY']);
    const attacks = {
      update: () => runtime.query("UPDATE pgmedic.audit_log SET actor = 'UNOBODY'"),
      updateColumn: () => runtime.query("UPDATE pgmedic.audit_log SET details = '{}'"),
      delete: () => runtime.query('DELETE FROM pgmedic.audit_log'),
      truncate: () => runtime.query('TRUNCATE pgmedic.audit_log'),
      disableTrigger: () => runtime.query('ALTER TABLE pgmedic.audit_log DISABLE TRIGGER audit_log_append_only'),
      disableAllTriggers: () => runtime.query('ALTER TABLE pgmedic.audit_log DISABLE TRIGGER ALL'),
      dropTrigger: () => runtime.query('DROP TRIGGER audit_log_append_only ON pgmedic.audit_log'),
      dropTable: () => runtime.query('DROP TABLE pgmedic.audit_log'),
      dropSchema: () => runtime.query('DROP SCHEMA pgmedic CASCADE'),
      replaceFunction: () =>
        runtime.query(
          "CREATE OR REPLACE FUNCTION pgmedic.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
        ),
      renameTable: () => runtime.query('ALTER TABLE pgmedic.audit_log RENAME TO old_audit'),
      forgeMigration: () => runtime.query('DELETE FROM pgmedic.schema_migrations'),
    };
    for (const [attack, attempt] of Object.entries(attacks))
      expect(await refusal(attempt()), attack).toMatch(/^42501: (permission denied|must be owner)/);
    expect((await readAudit(runtime, { limit: 5 })).map((r) => r.actor)).toEqual(['UMALLORY']);
  });

  it('the runtime role still does its work on the other tables', async () => {
    const request = await insertRequest(
      runtime,
      {
        id: 'r1',
        action: 'terminate',
        target: 'prod',
        params: { pid: '1' },
        statement: 'SELECT 1',
        statementValues: [],
        details: {},
        requestedBy: 'UALICE',
        channel: null,
        messageTs: null,
        approvalsRequired: 1,
        expiryMinutes: 10,
      },
      null,
    );
    expect((await recordApproval(runtime, request.id, 'UBOB', false, null, 'copy-1'))?.status).toBe('approved');
    expect(await claimDelivery(runtime, 'trigger_id:t1')).toBe(true);
    await pruneDeliveries(runtime, 60);
    await runtime.query(
      "INSERT INTO pgmedic.schedule_claims (job, scheduled_at, instance_id) VALUES ('daily', now(), 'copy-1')",
    );
    await runtime.query("UPDATE pgmedic.schedule_claims SET finished_at = now() WHERE job = 'daily'");
    // Alert leases: claim, renew, stamp and hand back, as a copy does each interval and on stop.
    const share = createWorkShare({ db: runtime, work: 'alerts', copyId: 'copy-1', intervalMs: 1_000 });
    expect(await share.pick(['prod', 'staging'])).toEqual(['prod', 'staging']);
    await share.release();
    expect((await listLeases(runtime, 'alerts')).map((l) => l.holder)).toEqual([null, null]);
    expect((await runtime.query('SELECT version FROM pgmedic.schema_migrations')).rowCount).toBeGreaterThan(0);
  });

  it('tells apart a tamper-proof runtime role from the owner and a superuser', async () => {
    expect(await auditTamperRisks(runtime)).toEqual({ role: 'pgmedic_bot', risks: [] });
    expect(tamperWarning(await auditTamperRisks(runtime))).toBeUndefined();
    expect((await auditTamperRisks(owner)).risks).toEqual(
      expect.arrayContaining([
        'owns pgmedic.audit_log (can disable its trigger, drop it)',
        'owns schema pgmedic (can drop the table)',
      ]),
    );
    const superuser = createStatePool(server.url('pgmedic_state'), 1);
    try {
      const found = await auditTamperRisks(superuser);
      expect(found.risks).toContain('is a superuser');
      expect(tamperWarning(found)).toMatch(
        /^AUDIT LOG NOT TAMPER-PROOF: pgmedic's runtime role "\w+" is a superuser, .*PGMEDIC_STATE_OWNER_URL/,
      );
    } finally {
      await superuser.end();
    }
  });

  it('the bot warns once at start-up when its runtime role can rewrite the audit log, and not when the owner role is separate', async () => {
    const standIn = await startSlackStandIn();
    const warnings = async (env: Record<string, string>) => {
      const bot = await startBotProcess(standIn, { DATABASE_URL: server.url(), PGMEDIC_APPROVERS: 'UBOB', ...env });
      try {
        await waitFor(async () => bot.logs.some((l) => l.msg === 'pgmedic is running'), 'the bot to run');
        return bot.logs.filter((l) => String(l.msg).startsWith('AUDIT LOG NOT TAMPER-PROOF')).map((l) => l.msg);
      } finally {
        bot.child.kill('SIGTERM');
        await bot.exited;
      }
    };
    try {
      expect(await warnings({ PGMEDIC_STATE_DATABASE_URL: runtimeUrl, PGMEDIC_STATE_OWNER_URL: ownerUrl })).toEqual([]);
      // The owner's URL left out of the running bot: an up-to-date schema needs nothing the runtime role lacks.
      expect(await warnings({ PGMEDIC_STATE_DATABASE_URL: runtimeUrl })).toEqual([]);
      // A pending migration the runtime role cannot apply stops start-up with a line that says what to set.
      const admin = await connect(server.url());
      await admin.query('CREATE DATABASE pgmedic_state_old OWNER pgmedic_owner');
      await admin.end();
      const oldOwner = createStatePool(asRole(server.url('pgmedic_state_old'), 'pgmedic_owner'), 1, {
        timeouts: false,
      });
      await migrateStateDatabase(oldOwner, MIGRATIONS.slice(0, -1), { grantTo: 'pgmedic_bot' }).finally(() =>
        oldOwner.end(),
      );
      const refused = await startBotProcess(standIn, {
        DATABASE_URL: server.url(),
        PGMEDIC_APPROVERS: 'UBOB',
        PGMEDIC_STATE_DATABASE_URL: asRole(server.url('pgmedic_state_old'), 'pgmedic_bot'),
      }).then(
        (bot) => {
          bot.child.kill('SIGKILL');
          return 'started';
        },
        (error: Error) => error.message,
      );
      // The newest migration decides PostgreSQL's words: "must be owner" for an ALTER, "permission denied for schema" for a CREATE.
      expect(refused).toMatch(
        /could not prepare the state database \(.*(must be owner|permission denied for schema pgmedic).*; if another role owns the schema, set PGMEDIC_STATE_OWNER_URL to it\)/,
      );

      const sameRole = await warnings({ PGMEDIC_STATE_DATABASE_URL: ownerUrl });
      expect(sameRole).toHaveLength(1);
      expect(sameRole[0]).toContain('"pgmedic_owner" owns pgmedic.audit_log');
    } finally {
      await standIn.stop();
    }
  }, 60_000);

  it('bin/pgmedic migrate-state sets a fresh state database up once (owner migrates, runtime role gets its grants) and exits 1 when the runtime role could rewrite the audit log', async () => {
    const admin = await connect(server.url());
    await admin.query('CREATE DATABASE pgmedic_state_cli OWNER pgmedic_owner');
    await admin.end();
    const cli = (env: Record<string, string>) =>
      promisify(execFile)('bin/pgmedic', ['migrate-state'], {
        env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const owner = asRole(server.url('pgmedic_state_cli'), 'pgmedic_owner');
    const runtime = asRole(server.url('pgmedic_state_cli'), 'pgmedic_bot');
    expect(await cli({ PGMEDIC_STATE_OWNER_URL: owner, PGMEDIC_STATE_DATABASE_URL: runtime })).toEqual({
      code: 0,
      stdout: `Applied migrations ${MIGRATIONS.map((m) => m.version).join(', ')}.\nRuntime role "pgmedic_bot" can read and append to the audit log, and cannot change or delete its rows.\n`,
    });
    const again = await cli({ PGMEDIC_STATE_OWNER_URL: owner, PGMEDIC_STATE_DATABASE_URL: runtime });
    expect(again.stdout).toMatch(/^The state database was already up to date\./);
    const oneRole = await cli({ PGMEDIC_STATE_DATABASE_URL: owner });
    expect(oneRole.code).toBe(1);
    expect(oneRole.stdout).toContain(
      'AUDIT LOG NOT TAMPER-PROOF: pgmedic\'s runtime role "pgmedic_owner" owns pgmedic.audit_log',
    );
  }, 60_000);
});
