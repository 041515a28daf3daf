/**
 * The figures of issue 15, measured the way the issue measured them: PostgreSQL 18, pgbench data, pgmedic
 * connected as a role with only pg_monitor, a real stall of 16 sessions behind one idle-in-transaction session.
 * Prints one line per figure (JSON). Runs against whatever code is checked out, so the same script gives the
 * before and after figures.
 *
 * Run: npm run bench:least-privilege   (needs /usr/lib/postgresql/15/bin/pgbench)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Target } from '../src/db/targets.js';
import { listCommands } from '../src/engine/registry.js';
import { toJson } from '../src/report/json.js';
import { renderText } from '../src/report/text.js';
import { connect } from '../test/support/clients.js';
import { run, testTarget } from '../test/support/engine.js';
import { asRole, MONITOR_ROLE, prepareLeastPrivilege } from '../test/support/least-privilege.js';
import { startTestServer } from '../test/support/pg.js';
import { createLockPileup } from '../test/support/scenarios/lock-pileup.js';

const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const print = (figure: string, value: unknown) => console.log(JSON.stringify({ figure, value }));

function pgbench(url: string, args: string[]): Promise<void> {
  const child = spawn(PGBENCH, [...args, url], { stdio: 'ignore' });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pgbench exited ${code}`)))),
  );
}

function negatives(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => negatives(v, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    typeof v === 'number' && /seconds|ms$|age|lag/i.test(k) && v < 0
      ? [`${path}.${k}=${v}`]
      : negatives(v, `${path}.${k}`),
  );
}

async function main(): Promise<void> {
  if (!existsSync(PGBENCH)) throw new Error(`pgbench not found at ${PGBENCH}: apt-get install postgresql-15`);
  const server = await startTestServer(18);
  await prepareLeastPrivilege(server);
  const admin = await connect(server.url(), 'figures');
  const monitor: Target = testTarget(asRole(server.url(), MONITOR_ROLE));
  try {
    await pgbench(server.url(), ['-i', '-s', '10', '-q']);
    await admin.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);

    // 8. missing-index suspect from the bulk load's own scans
    const indexes = toJson(await run(monitor, 'indexes', ['--min-size', '0']));
    print(
      '8 indexes: pgbench_accounts a missing-index suspect after pgbench -i',
      JSON.stringify(indexes.findings).includes('"problem":"missing","schema":"public","table":"pgbench_accounts"'),
    );

    // 3. bloat as pg_monitor on pgbench_accounts: estimate vs pgstattuple
    await pgbench(server.url(), ['-c', '4', '-T', '8', '-n']);
    const truth = (
      await admin.query("SELECT free_percent + dead_tuple_percent AS pct FROM pgstattuple('pgbench_accounts')")
    ).rows[0].pct;
    const bloat = await run(monitor, 'bloat', ['--min-size', '0']);
    const accounts = (bloat.findings as { relations: Record<string, unknown>[] }).relations.find(
      (r) => r.table === 'pgbench_accounts' && r.index === null,
    ) as Record<string, number | boolean | null>;
    print('3 bloat pgbench_accounts as pg_monitor: estimate %, measured %, pgstattuple truth %', {
      estimate: accounts?.bloatPercent,
      measured: accounts?.exactBloatPercent ?? null,
      truth,
    });
    print('3 bloat status as pg_monitor', { status: bloat.status, summary: bloat.summary });
    const bloatText = renderText(bloat.report, undefined, { color: false });
    print(
      '3 bloat advice lines that name pg_authid or pg_statistic next to a grant',
      bloatText.split('\n').filter((line) => /grant/i.test(line) && /pg_authid|pg_statistic/.test(line)).length,
    );
    const superuser = testTarget(server.url());
    const exact = await run(superuser, 'bloat', ['--min-size', '0', '--exact', '--limit', '100']);
    await superuser.close();
    const tiny = (exact.findings as { relations: Record<string, number>[] }).relations.filter(
      (r) => (r.totalBytes ?? 0) < 4 * 8192 && (r.exactBloatPercent ?? 0) >= 30,
    );
    print('3 bloat --exact: relations of < 4 pages measured ≥ 30 %, and the status', {
      tiny: tiny.length,
      status: exact.status,
    });

    // 2. sequences as pg_monitor (a serial at 93 %)
    const sequences = await run(monitor, 'sequences');
    print('2 sequences as pg_monitor', { status: sequences.status, summary: sequences.summary });

    // 4. JSON carries the notes
    const seqJson = toJson(sequences) as Record<string, unknown>;
    print('4 sequences JSON has notes / reasons', {
      notes: Array.isArray(seqJson.notes),
      reasons: seqJson.reasons ?? null,
    });

    // 5. database: status and whether it says why
    const database = await run(monitor, 'database');
    print('5 database as pg_monitor after pgbench', { status: database.status, summary: database.summary });

    // 1. a stall of 16 sessions
    const pileup = await createLockPileup(server.url(), 16, 'pgbench_branches_stall');
    try {
      const health = await run(monitor, 'health');
      const checks = (health.findings as { checks: { name: string; detail: string }[] }).checks;
      print('1 health during a 16-session stall', {
        status: health.status,
        oldestTransaction: checks.find((c) => c.name === 'oldestTransaction')?.detail,
        rootPid: pileup.rootPid,
      });
      const locks = await run(monitor, 'locks');
      print('1 locks during the first second of the stall', { status: locks.status });
    } finally {
      await pileup.release();
      await pileup.close();
    }

    // 6. statements per alert-watch check (health, locks, connections, replication) and own entries in slow-queries
    await admin.query('SELECT pg_stat_statements_reset()');
    for (const name of ['health', 'locks', 'connections', 'replication']) await run(monitor, name);
    const calls = (
      await admin.query(
        `SELECT sum(calls)::int AS calls FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1`,
        [MONITOR_ROLE],
      )
    ).rows[0].calls;
    print('6 statements per alert-watch check (4 diagnostics, capabilities cached)', calls);
    for (const c of listCommands('diagnostic')) await run(monitor, c.name);
    const slow = toJson(await run(monitor, 'slow-queries', ['--sort', 'calls', '--limit', '100']));
    print(
      '6 slow-queries entries that are pgmedic’s own',
      JSON.stringify(slow.findings).match(/BEGIN READ ONLY|set_config\('statement_timeout'|COMMIT/g)?.length ?? 0,
    );

    // 7. negative durations under load
    const load = pgbench(server.url(), ['-c', '8', '-j', '2', '-T', '15', '-n']);
    const found: string[] = [];
    const until = Date.now() + 10_000;
    let runs = 0;
    while (Date.now() < until) {
      for (const c of listCommands('diagnostic')) {
        found.push(...negatives(toJson(await run(monitor, c.name)), c.name));
        runs++;
      }
    }
    await load;
    print('7 negative durations in diagnostic JSON under pgbench -c 8', {
      runs,
      negatives: found.length,
      examples: found.slice(0, 3),
    });

    // issue 10: a client named pgmedic-impostor
    const impostor = await connect(server.url(), 'pgmedic-impostor');
    await impostor.query('BEGIN; SELECT txid_current()');
    const connections = toJson(await run(monitor, 'connections', ['--min-idle', '0']));
    print(
      'issue 10: pgmedic-impostor listed by connections',
      JSON.stringify(connections.findings).includes('pgmedic-impostor'),
    );
    await impostor.end();
  } finally {
    await admin.end();
    await monitor.close();
    await server.stop();
  }
}

await main();
