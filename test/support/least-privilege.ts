import { connect } from './clients.js';
import type { TestServer } from './pg.js';
import { createBloatedTable, type BloatedTable } from './scenarios/bloated-table.js';
import { createSequencesNearMax } from './scenarios/sequence-near-max.js';

/** The role the README recommends: pg_monitor and nothing else. */
export const MONITOR_ROLE = 'lp_monitor';

export interface LeastPrivilegeServer {
  adminUrl: string;
  /** pg_monitor only, in the database with pgstattuple. */
  monitorUrl: string;
  /** Superuser and pg_monitor in a database without pgstattuple. */
  plainAdminUrl: string;
  plainMonitorUrl: string;
  bloated: BloatedTable;
  plainBloated: BloatedTable;
  /** A serial column's sequence at 93 % of the int4 range, owned by the superuser: unreadable for the monitor. */
  serialSequence: string;
}

export function asRole(url: string, role: string, password = 'pw'): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

/**
 * Scenarios owned by the superuser, seen through a pg_monitor role: sequences near their limits (one of them
 * a serial at 93 %), a bloated table whose columns the role may not SELECT (pgstattuple installed), and the
 * same table in a database without pgstattuple.
 */
export async function prepareLeastPrivilege(server: TestServer): Promise<LeastPrivilegeServer> {
  const admin = await connect(server.url());
  await admin.query(`CREATE ROLE ${MONITOR_ROLE} LOGIN PASSWORD 'pw'; GRANT pg_monitor TO ${MONITOR_ROLE}`);
  await admin.query('CREATE EXTENSION pgstattuple; CREATE EXTENSION pg_stat_statements');
  await admin.query('CREATE DATABASE lp_plain');
  await admin.query(`CREATE TABLE lp_orders (id serial PRIMARY KEY, note text);
    SELECT setval('lp_orders_id_seq', (0.93 * 2147483647)::int);
    INSERT INTO lp_orders (note) VALUES ('one more')`);
  await admin.end();
  await createSequencesNearMax(server.url());
  const bloated = await createBloatedTable(server.url());
  const plainBloated = await createBloatedTable(server.url('lp_plain'));
  return {
    adminUrl: server.url(),
    monitorUrl: asRole(server.url(), MONITOR_ROLE),
    plainAdminUrl: server.url('lp_plain'),
    plainMonitorUrl: asRole(server.url('lp_plain'), MONITOR_ROLE),
    bloated,
    plainBloated,
    serialSequence: 'lp_orders_id_seq',
  };
}
