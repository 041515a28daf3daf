import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BloatFindings } from '../../commands/bloat.js';
import type { VacuumFindings } from '../../commands/vacuum.js';
import type { Targets } from '../../src/db/targets.js';
import { localDate } from '../../src/schedule/cron.js';
import { composeDigest } from '../../src/schedule/digest.js';
import { digestMessages, headline, renderDigestText } from '../../src/schedule/digest-messages.js';
import type { Digest } from '../../src/schedule/digest-model.js';
import { parseSectionSpec, resolveSections } from '../../src/schedule/digest-sections.js';
import { dayOffset } from '../../src/schedule/trends/compare.js';
import { readSnapshots, snapshotTrends } from '../../src/schedule/trends/snapshots.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBloatedTable, type BloatedTable } from '../support/scenarios/bloated-table.js';
import { createVacuumStarved, type VacuumStarved } from '../support/scenarios/vacuum-starved.js';
import { createDatabases, refusedUrl, silentServer, targetsOf } from '../support/schedule.js';

let server: TestServer;
let admin: pg.Client;
let state: pg.Pool;
let bloated: BloatedTable;
let starved: VacuumStarved;
let silent: Awaited<ReturnType<typeof silentServer>>;
let targets: Targets;
let digest: Digest;
const today = localDate(Date.now(), 'UTC');
const SECTIONS = resolveSections(['bloat --min-size 0 --limit 5', 'vacuum --limit 5'].map(parseSectionSpec));

async function snapshot(
  day: string,
  relation: string,
  bloatPercent: number,
  bloatBytes: number,
  deadTuples: number,
): Promise<void> {
  await state.query(
    `INSERT INTO pgmedic.relation_snapshots (target, day, kind, schema_name, relation, total_bytes, bloat_bytes, bloat_percent, dead_tuples)
     VALUES ('app', $1, 'table', 'public', $2, 5000000, $3, $4, $5)`,
    [day, relation, bloatBytes, bloatPercent, deadTuples],
  );
}

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state']);
  bloated = await createBloatedTable(server.url('app'));
  starved = await createVacuumStarved(server.url('app'));
  state = createStatePool(server.url('state'));
  await migrateStateDatabase(state);
  // A week of history: 12 % bloat seven days ago, 40 % yesterday; and a snapshot past the 35-day retention.
  await snapshot(dayOffset(today, -7), bloated.table, 12, 100_000, 0);
  await snapshot(dayOffset(today, -1), bloated.table, 40, 1_500_000, 0);
  await snapshot(dayOffset(today, -1), starved.table, 0, 0, 100);
  await snapshot(dayOffset(today, -40), bloated.table, 5, 10_000, 0);
  silent = await silentServer();
  targets = targetsOf([
    { name: 'app', url: server.url('app') },
    { name: 'refused', url: await refusedUrl() },
    { name: 'silent', url: `postgres://postgres@127.0.0.1:${silent.port}/postgres`, connectTimeoutMs: 2_000 },
  ]);
  digest = await composeDigest({
    name: 'daily',
    targets: targets.names().map((n) => targets.get(n)),
    sections: SECTIONS,
    timezone: 'UTC',
    trends: snapshotTrends(state),
  });
}, 60_000);

afterAll(async () => {
  await starved?.release();
  await starved?.close();
  await targets?.closeAll();
  await state?.end();
  await admin?.end();
  await silent?.close();
  await server?.stop();
});

const app = () => digest.targets.find((t) => t.target === 'app')!;
const findings = <T>(command: string) => app().pieces.find((p) => p.command === command)!.findings as T;

describe('digest', () => {
  it('reports the bloated table and the vacuum-starved one as PostgreSQL sees them', async () => {
    const bloat = findings<BloatFindings>('bloat');
    const table = bloat.relations.find((r) => r.table === bloated.table && r.kind === 'table')!;
    expect(table.bloatPercent).toBeGreaterThan(50);
    expect(bloat.totalBloatBytes).toBeGreaterThanOrEqual(table.bloatBytes);

    const vacuum = findings<VacuumFindings>('vacuum');
    const truth = await connect(server.url('app'));
    const dead = (
      await truth.query<{ n: string }>('SELECT n_dead_tup::text AS n FROM pg_stat_user_tables WHERE relname = $1', [
        starved.table,
      ])
    ).rows[0]!.n;
    await truth.end();
    const starvedRow = vacuum.tables.find((t) => t.table === starved.table)!;
    expect(starvedRow).toMatchObject({ behind: true, deadTuples: Number(dead) });
    expect(vacuum.horizon.map((h) => h.pid)).toContain(starved.holderPid);
    expect(vacuum.horizon.map((h) => h.name)).toContain(starved.preparedGid);
    expect(app().actions.map((a) => a.params.table)).toContain(`"public"."${starved.table}"`);
  });

  it('gives every target a one-line status, and an unreachable one its reason without holding up the rest', () => {
    expect(app()).toMatchObject({
      reachable: true,
      status: expect.stringMatching(/ok|warn|crit/),
      statusLine: expect.stringMatching(/./),
    });
    const refused = digest.targets.find((t) => t.target === 'refused')!;
    const silentTarget = digest.targets.find((t) => t.target === 'silent')!;
    expect(refused).toMatchObject({
      reachable: false,
      status: null,
      statusLine: expect.stringMatching(/^could not reach refused: .*nothing accepts connections at its address/),
    });
    expect(silentTarget).toMatchObject({
      reachable: false,
      statusLine: 'could not reach silent: the connection timed out',
    });
    // The reachable target's whole digest finished before the silent one's connect attempt gave up.
    expect(app().elapsedMs).toBeLessThan(silentTarget.elapsedMs);
    expect(digest.status).toBe('crit');
  });

  it('says what changed since yesterday and over the week, from stored snapshots', () => {
    const table = findings<BloatFindings>('bloat').relations.find(
      (r) => r.table === bloated.table && r.kind === 'table',
    )!;
    const week = app().trends.find((e) => e.relation === bloated.table && e.span === 'week')!;
    expect(week).toMatchObject({
      days: 7,
      bloatPercent: { from: 12, to: table.bloatPercent },
      bloatBytes: { from: 100_000, to: table.bloatBytes },
    });
    expect(week.text).toMatch(new RegExp(`^${bloated.table}: bloat 12% → \\d+% in 7 days, \\+\\d`));
    const day = app().trends.find((e) => e.relation === bloated.table && e.span === 'day')!;
    expect(day.bloatPercent).toEqual({ from: 40, to: table.bloatPercent });
    const deadTuples = app().trends.find((e) => e.relation === starved.table && e.span === 'day')!;
    expect(deadTuples.deadTuples).toEqual({
      from: 100,
      to: findings<VacuumFindings>('vacuum').tables.find((t) => t.table === starved.table)!.deadTuples,
    });
  });

  it('stores one snapshot per target and day, idempotently, and prunes past the retention', async () => {
    const stored = await readSnapshots(state, 'app', today, dayOffset(today, 1));
    const table = findings<BloatFindings>('bloat').relations.find(
      (r) => r.table === bloated.table && r.kind === 'table',
    )!;
    expect(stored.find((r) => r.relation === bloated.table && r.kind === 'table')).toMatchObject({
      bloatPercent: table.bloatPercent,
      bloatBytes: Math.round(table.bloatBytes),
    });
    expect(stored.find((r) => r.kind === 'total')!.bloatBytes).toBe(
      Math.round(findings<BloatFindings>('bloat').totalBloatBytes),
    );
    await snapshotTrends(state)('app', today, app().pieces);
    const again = await readSnapshots(state, 'app', today, dayOffset(today, 1));
    expect(again).toHaveLength(stored.length);
    const { rows } = await state.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pgmedic.relation_snapshots WHERE day < $1::date',
      [dayOffset(today, -35)],
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('renders one summary message with the details as thread replies, and text for the CLI', () => {
    const { main, thread } = digestMessages(digest);
    const facts = main.report.sections[0]!;
    expect(facts.kind === 'facts' && facts.facts.map((f) => f.label)).toEqual(['app', 'refused', 'silent']);
    expect(main.report.summary).toMatch(/^3 targets, 1 needs attention, 2 could not be reached \(refused, silent\): /);
    expect(thread.map((m) => [m.target, m.report.title])).toEqual([
      ['app', 'Bloat'],
      ['app', 'Vacuum'],
    ]);
    expect(thread[1]!.report.actions.length).toBeGreaterThan(0);
    const text = renderDigestText(digest, { color: false });
    expect(text).toContain('could not reach refused');
    expect(text).toContain(`Trend: ${bloated.table}: bloat 12% →`);
    expect(text).toContain('app · Vacuum');
  });

  it('heads with its worst status and names the worst offenders with their real figures and trend', async () => {
    const truth = await connect(server.url('app'));
    // autovacuum's trigger, from the server's settings and the table's own (reloptions override them)
    const { rows } = await truth.query<{ relname: string; dead: string; trigger: number }>(
      `SELECT s.relname, s.n_dead_tup::text AS dead,
              coalesce((SELECT split_part(o, '=', 2)::float8 FROM unnest(c.reloptions) o WHERE o LIKE 'autovacuum_vacuum_threshold=%'), current_setting('autovacuum_vacuum_threshold')::float8)
              + coalesce((SELECT split_part(o, '=', 2)::float8 FROM unnest(c.reloptions) o WHERE o LIKE 'autovacuum_vacuum_scale_factor=%'), current_setting('autovacuum_vacuum_scale_factor')::float8)
                * greatest(c.reltuples, 0) AS trigger
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY ($1)`,
      [[starved.table, starved.tunedTable]],
    );
    await truth.end();
    const ratio = (table: string) => {
      const row = rows.find((r) => r.relname === table)!;
      return { dead: Number(row.dead), ratio: Number(row.dead) / row.trigger };
    };
    const events = ratio(starved.table);
    const tuned = ratio(starved.tunedTable);
    expect(events.ratio).toBeGreaterThan(2);
    const { main } = digestMessages(digest);
    expect(main.report.status).toBe('crit');
    expect(main.report.summary).toContain(
      `${starved.tunedTable} on app: ${Math.round(tuned.ratio).toLocaleString('en-US')}× past its autovacuum trigger (autovacuum off for it)`,
    );
    expect(main.report.summary).toContain(
      `${starved.table} on app: ${events.ratio.toFixed(1)}× past its autovacuum trigger (autovacuum off for it), dead tuples 100 → ${events.dead.toLocaleString('en-US')} since yesterday`,
    );
    const table = findings<BloatFindings>('bloat').relations.find(
      (r) => r.table === bloated.table && r.kind === 'table',
    )!;
    expect(main.report.summary).toMatch(
      new RegExp(
        `${bloated.table} on app: ${Math.round(table.bloatPercent)}% bloat, [\\d.]+ [kM]B, bloat 40% → ${Math.round(table.bloatPercent)}% since yesterday, and its index ${bloated.index} \\d+% bloat, [\\d.]+ [kM]B`,
      ),
    );
    expect(main.text).toBe(`Digest: daily: ${main.report.summary}`);
  });

  it('counts a failed section as a warning and names it', () => {
    const failed: Digest = {
      ...digest,
      targets: [
        {
          ...app(),
          status: 'ok',
          offenders: [],
          pieces: [{ command: 'bloat', report: null, findings: null, error: 'permission denied', elapsedMs: 1 }],
        },
      ],
    };
    expect(headline(failed)).toBe('1 target, 1 needs attention: the bloat section failed.');
  });

  it('says all OK only when every target and every section is', async () => {
    await starved.release();
    await admin.query('CREATE DATABASE clean');
    // Most rows deleted and vacuumed, as in the bloated table, but with a `name` column: the estimate is high and
    // flagged unreliable (name columns are often misjudged), so it must not be named nor set the status.
    const setup = await connect(server.url('clean'));
    await setup.query(`CREATE TABLE unsure (id int, label name, note text);
      INSERT INTO unsure SELECT g, 'n' || g, repeat(md5(g::text), 2) FROM generate_series(1, 5000) g; DELETE FROM unsure WHERE id % 10 < 7`);
    await setup.query('SELECT pg_stat_force_next_flush()'); // the DELETE's counts land before VACUUM resets them
    await setup.query('VACUUM (ANALYZE) unsure');
    await setup.end();
    const clean = targetsOf([{ name: 'clean', url: server.url('clean') }]);
    try {
      const ok = await composeDigest({
        name: 'daily',
        targets: [clean.get('clean')],
        sections: SECTIONS,
        timezone: 'UTC',
      });
      const unsure = (ok.targets[0]!.pieces[0]!.findings as BloatFindings).relations.find((r) => r.table === 'unsure')!;
      expect(unsure).toMatchObject({
        reliable: false,
        unreliableReasons: [expect.stringMatching(/^has `name` columns/)],
      });
      expect(unsure.bloatPercent).toBeGreaterThanOrEqual(30); // past the warn threshold, were it a figure
      expect(ok.targets[0]!.offenders).toEqual([]);
      const { main } = digestMessages(ok);
      expect(ok.targets[0]!.pieces.map((p) => [p.command, p.report?.status])).toEqual([
        ['bloat', 'ok'],
        ['vacuum', 'ok'],
      ]);
      expect(main.report.status).toBe('ok');
      expect(main.report.summary).toBe('1 target, all OK.');
    } finally {
      await clean.closeAll();
    }
  });
});
