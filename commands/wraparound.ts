import { z } from 'zod';
import { camelCased } from '../src/db/rows.js';
import { defineCommand } from '../src/engine/command.js';
import { intOption, textOption } from '../src/engine/units.js';
import { formatLargeCount, formatPercent, qualifiedName } from '../src/report/format.js';
import { statusFor, worstStatus, type Report } from '../src/report/model.js';

/**
 * Limits from varsup.c / multixact.c (14–18), as ages of the oldest unfrozen XID or multixact:
 * wraparound is 2^31 − 1 away; PostgreSQL warns 40 M before it and stops assigning 3 M before it.
 */
export const WRAP_LIMIT_AGE = 2 ** 31 - 1;
export const WARN_LIMIT_AGE = WRAP_LIMIT_AGE - 40_000_000;
export const STOP_LIMIT_AGE = WRAP_LIMIT_AGE - 3_000_000;

export interface DatabaseAge {
  database: string;
  xidAge: number;
  multixactAge: number;
  /** Highest of the XID and multixact ages against their autovacuum_*freeze_max_age, in percent. */
  pctToForcedVacuum: number;
  /** Highest of the two ages against the stop limit, in percent. */
  pctToStopLimit: number;
  allowsConnections: boolean;
}

export interface TableAge {
  schema: string;
  table: string;
  /** The ages come from the table's TOAST relation (older than its heap). */
  viaToast: boolean;
  /** Temporary tables are never vacuumed by autovacuum: only their own session can. */
  temporary: boolean;
  xidAge: number;
  multixactAge: number;
  /** The global setting, or the table's (lower) reloption: autovacuum ignores a higher one. */
  freezeMaxAge: number;
  multixactFreezeMaxAge: number;
  pctToForcedVacuum: number;
  pctToStopLimit: number;
}

export interface WraparoundFindings {
  databases: DatabaseAge[];
  /** The database whose tables are listed. */
  tablesDatabase: string;
  tables: TableAge[];
  freezeMaxAge: number;
  multixactFreezeMaxAge: number;
  /** Age at which VACUUM drops everything but freezing (max of vacuum_failsafe_age and 105 % of freeze max age). */
  failsafeAge: number;
}

const SETTINGS_SQL = `
SELECT current_setting('autovacuum_freeze_max_age')::float8 AS freeze_max_age,
       current_setting('autovacuum_multixact_freeze_max_age')::float8 AS multixact_freeze_max_age,
       current_setting('vacuum_failsafe_age')::float8 AS failsafe_age`;

const DATABASES_SQL = `
SELECT d.datname AS database, d.datallowconn AS allows_connections,
       age(d.datfrozenxid)::float8 AS xid_age, mxid_age(d.datminmxid)::float8 AS multixact_age
FROM pg_catalog.pg_database d
ORDER BY greatest(age(d.datfrozenxid), mxid_age(d.datminmxid)) DESC, d.datname`;

// A TOAST table has its own relfrozenxid and reloptions; it is shown under its owning table. The OFFSET 0s keep
// the settings read once and each relation's ages and limits computed once (inlined, they ran again in every use).
// least() ignores NULL: a relation without reloptions (most) skips their parsing.
const TABLES_SQL = `
WITH settings AS (
  SELECT current_setting('autovacuum_freeze_max_age')::float8 AS xid_max,
         current_setting('autovacuum_multixact_freeze_max_age')::float8 AS mxid_max
  OFFSET 0
), rel AS (
  SELECT coalesce(owner.oid, c.oid) AS table_oid, c.relkind = 't' AS via_toast,
         age(c.relfrozenxid)::float8 AS xid_age, mxid_age(c.relminmxid)::float8 AS multixact_age,
         least(s.xid_max, CASE WHEN c.reloptions IS NOT NULL THEN (SELECT o.option_value::float8 FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'autovacuum_freeze_max_age') END) AS freeze_max_age,
         least(s.mxid_max, CASE WHEN c.reloptions IS NOT NULL THEN (SELECT o.option_value::float8 FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'autovacuum_multixact_freeze_max_age') END) AS multixact_freeze_max_age
  FROM pg_catalog.pg_class c
  CROSS JOIN settings s
  LEFT JOIN pg_catalog.pg_class owner ON c.relkind = 't' AND owner.reltoastrelid = c.oid
  WHERE c.relkind IN ('r', 'm', 't')
  OFFSET 0
), ranked AS (
  SELECT DISTINCT ON (table_oid) *, 100 * greatest(xid_age / freeze_max_age, multixact_age / multixact_freeze_max_age) AS pct_to_forced_vacuum
  FROM rel ORDER BY table_oid, pct_to_forced_vacuum DESC, via_toast
)
SELECT n.nspname AS schema, t.relname AS table, r.via_toast, t.relpersistence = 't' AS temporary,
       r.xid_age, r.multixact_age, r.freeze_max_age, r.multixact_freeze_max_age, r.pct_to_forced_vacuum
FROM ranked r
JOIN pg_catalog.pg_class t ON t.oid = r.table_oid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
ORDER BY r.pct_to_forced_vacuum DESC, r.xid_age DESC, n.nspname, t.relname
LIMIT $1`;

interface SettingsRow {
  freeze_max_age: number;
  multixact_freeze_max_age: number;
  failsafe_age: number;
}
interface DatabaseRow {
  database: string;
  allows_connections: boolean;
  xid_age: number;
  multixact_age: number;
}
interface TableRow {
  schema: string;
  table: string;
  via_toast: boolean;
  temporary: boolean;
  xid_age: number;
  multixact_age: number;
  freeze_max_age: number;
  multixact_freeze_max_age: number;
  pct_to_forced_vacuum: number;
}

const toStopLimitPct = (xidAge: number, multixactAge: number) =>
  (100 * Math.max(xidAge, multixactAge)) / STOP_LIMIT_AGE;

export default defineCommand({
  name: 'wraparound',
  summary: 'XID and multixact ages per database and for the oldest tables, against forced vacuum and the hard limit',
  kind: 'diagnostic',
  options: z.object({
    database: textOption(200, 'Database whose tables to list (default: the one connected to)'),
    limit: intOption(1, 100, 10, 'Oldest tables to show'),
  }),
  positionals: ['database'],
  sql: { settings: SETTINGS_SQL, databases: DATABASES_SQL, tables: TABLES_SQL },

  async collect({ session, caps, inDatabase }, options) {
    const [settings] = await session.query<SettingsRow>(SETTINGS_SQL);
    const databases = await session.query<DatabaseRow>(DATABASES_SQL);
    const other = options.database && options.database !== caps.database;
    const tables = other
      ? await inDatabase(options.database, (s) => s.query<TableRow>(TABLES_SQL, [options.limit]))
      : await session.query<TableRow>(TABLES_SQL, [options.limit]);
    const { freeze_max_age: freezeMaxAge, multixact_freeze_max_age: multixactFreezeMaxAge } = settings!;
    return {
      databases: databases.map((d) => ({
        database: d.database,
        xidAge: d.xid_age,
        multixactAge: d.multixact_age,
        pctToForcedVacuum: 100 * Math.max(d.xid_age / freezeMaxAge, d.multixact_age / multixactFreezeMaxAge),
        pctToStopLimit: toStopLimitPct(d.xid_age, d.multixact_age),
        allowsConnections: d.allows_connections,
      })),
      tablesDatabase: other ? options.database : caps.database,
      tables: tables.map(toTableAge),
      freezeMaxAge,
      multixactFreezeMaxAge,
      failsafeAge: Math.max(settings!.failsafe_age, 1.05 * freezeMaxAge),
    };
  },

  report(findings, { thresholds }): Report {
    const oldest = findings.databases[0];
    const status = worstStatus(
      ...findings.databases.map((d) => statusFor(Math.max(d.xidAge, d.multixactAge), thresholds.xidAge)),
    );
    const table = findings.tables[0];
    const summary = [
      oldest
        ? `Oldest database: ${oldest.database} at ${formatLargeCount(oldest.xidAge)} XIDs / ${formatLargeCount(oldest.multixactAge)} multixacts (${formatPercent(oldest.pctToStopLimit)} of the way to the stop limit).`
        : '',
      table
        ? `Closest table in ${findings.tablesDatabase}: ${qualifiedName(table.schema, table.table)} at ${formatPercent(table.pctToForcedVacuum)} of its forced-vacuum age.`
        : '',
    ]
      .join(' ')
      .trim();
    return {
      title: 'Wraparound',
      status,
      summary,
      reasons:
        status === 'ok'
          ? []
          : findings.databases
              .filter((d) => statusFor(Math.max(d.xidAge, d.multixactAge), thresholds.xidAge) !== 'ok')
              .map(
                (d) =>
                  `${d.database}: XID age ${formatLargeCount(d.xidAge)}, multixact age ${formatLargeCount(d.multixactAge)}`,
              ),
      sections: [
        {
          kind: 'table',
          title: 'Databases',
          columns: [
            { header: 'database' },
            { header: 'XID age', align: 'right' },
            { header: 'multixact age', align: 'right' },
            { header: 'to forced vacuum', align: 'right' },
            { header: 'to stop limit', align: 'right' },
          ],
          rows: findings.databases.map((d) => [
            d.database,
            formatLargeCount(d.xidAge),
            formatLargeCount(d.multixactAge),
            formatPercent(d.pctToForcedVacuum),
            formatPercent(d.pctToStopLimit),
          ]),
        },
        {
          kind: 'table',
          title: `Oldest tables in ${findings.tablesDatabase}`,
          columns: [
            { header: 'table' },
            { header: 'XID age', align: 'right' },
            { header: 'multixact age', align: 'right' },
            { header: 'forced vacuum at', align: 'right' },
            { header: 'to forced vacuum', align: 'right' },
            { header: 'to stop limit', align: 'right' },
          ],
          rows: findings.tables.map(tableRow),
          empty: 'no tables',
        },
        { kind: 'facts', title: 'Limits', facts: limitFacts(findings) },
      ],
      actions: [],
      footnotes: footnotes(findings),
    };
  },
});

function toTableAge(row: TableRow): TableAge {
  return { ...camelCased(row), pctToStopLimit: toStopLimitPct(row.xid_age, row.multixact_age) };
}

function tableRow(t: TableAge): string[] {
  const marks = [t.viaToast ? 'TOAST' : '', t.temporary ? 'temporary' : ''].filter(Boolean).join(', ');
  return [
    `${qualifiedName(t.schema, t.table)}${marks ? ` (${marks})` : ''}`,
    formatLargeCount(t.xidAge),
    formatLargeCount(t.multixactAge),
    `${formatLargeCount(t.freezeMaxAge)} / ${formatLargeCount(t.multixactFreezeMaxAge)}`,
    formatPercent(t.pctToForcedVacuum),
    formatPercent(t.pctToStopLimit),
  ];
}

function limitFacts(findings: WraparoundFindings) {
  return [
    {
      label: 'Forced (anti-wraparound) autovacuum',
      value: `at ${formatLargeCount(findings.freezeMaxAge)} XIDs / ${formatLargeCount(findings.multixactFreezeMaxAge)} multixacts`,
    },
    { label: 'VACUUM failsafe', value: `at ${formatLargeCount(findings.failsafeAge)} XIDs` },
    { label: 'Warnings in the log', value: `at ${formatLargeCount(WARN_LIMIT_AGE)}` },
    { label: 'New XIDs refused', value: `at ${formatLargeCount(STOP_LIMIT_AGE)}` },
  ];
}

function footnotes(findings: WraparoundFindings): string[] {
  const notes = [
    'A table past its forced-vacuum age gets an anti-wraparound autovacuum even with autovacuum off; if ages keep rising, run `vacuum` to see what holds the xmin horizon back.',
  ];
  const temporary = findings.tables.filter((t) => t.temporary);
  if (temporary.length)
    notes.push(
      `Autovacuum cannot process temporary tables (${temporary.map((t) => qualifiedName(t.schema, t.table)).join(', ')}): only the session that owns one can vacuum or drop it.`,
    );
  if (findings.databases.some((d) => !d.allowsConnections && d.pctToForcedVacuum >= 100))
    notes.push(
      'A database that allows no connections (such as template0) is still vacuumed by autovacuum when it passes the forced-vacuum age.',
    );
  return notes;
}
