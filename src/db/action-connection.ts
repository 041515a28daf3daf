import { Socket } from 'node:net';
import pg from 'pg';
import type { TargetConfig } from '../config/schema.js';
import { reportConnectionErrors } from './pools.js';
import { PGMEDIC_APPLICATION_NAME, tagSql } from './sql.js';

/** application_name of the action connection: it starts with "pgmedic", so our own reports and guards skip it. */
export const ACTION_APPLICATION_NAME = `${PGMEDIC_APPLICATION_NAME}-action`;

/** The client gives up this long after the server's statement_timeout should have fired (a hung network or server). */
export const ACTION_DEADLINE_MARGIN_MS = 30_000;

/** statement_timeout plus the margin, never more than twice the timeout (short actions give up sooner). */
export const actionDeadlineMs = (statementTimeoutMs: number): number =>
  statementTimeoutMs + Math.min(ACTION_DEADLINE_MARGIN_MS, statementTimeoutMs);

export interface ActionTimeouts {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** One query on the action connection, for a guard that runs just before the statement. */
export type GuardQuery = (text: string, values: readonly string[]) => Promise<Record<string, unknown>[]>;

export interface ActionHooks {
  /** Runs on the action connection right before the statement; a sentence refuses it (thrown as GuardRefused). */
  guard?(query: GuardQuery): Promise<string | null>;
  /** Receives a way to cancel the statement (pg_cancel_backend from a second connection) and may still say no. */
  beforeSend?(cancel: () => Promise<void>): boolean;
  /** 'read-only-rollback': the statement runs inside BEGIN READ ONLY and is rolled back, never committed. */
  transaction?: 'read-only-rollback';
  /** 'monitoring': connect as the target's monitoring role (url) instead of the action role (actionUrl). */
  role?: 'monitoring';
}

/** Whom the statement runs as: the action role, or the monitoring role when the action asks for it. */
const actionRoleUrl = (config: TargetConfig, role?: 'monitoring'): string =>
  role === 'monitoring' ? config.url : (config.actionUrl ?? config.url);

/** The guard said no: nothing was sent. */
export class GuardRefused extends Error {}

/** The connection broke or the client deadline passed while the statement was out: it may or may not have run. */
export class LostDuringStatement extends Error {
  constructor(cause: unknown) {
    super(
      `the action connection was lost while the statement ran (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
}

/** The stop came between the re-check and the statement: nothing was sent. */
export class NotSent extends Error {}

/**
 * Runs one approved statement on the target's action connection (actionUrl, else url; url for an action that runs
 * as the monitoring role): a fresh connection with
 * TCP keepalive and session-level timeouts, the statement sent alone in autocommit (VACUUM and the CONCURRENTLY
 * commands refuse to run inside a transaction block) unless the action asks for a read-only transaction that is
 * rolled back, and a client-side deadline past its statement_timeout.
 */
export async function runActionStatement(
  config: TargetConfig,
  command: string,
  timeouts: ActionTimeouts,
  text: string,
  values: readonly string[],
  hooks: ActionHooks = {},
): Promise<Record<string, unknown>[]> {
  const url = actionRoleUrl(config, hooks.role);
  // Our own socket, so a connection whose peer stopped answering can be dropped at once (a graceful end waits for it).
  const socket = new Socket();
  const client = new pg.Client({
    connectionString: url,
    application_name: ACTION_APPLICATION_NAME,
    connectionTimeoutMillis: config.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    stream: () => socket,
  });
  reportConnectionErrors(client, `action connection to ${config.name}`);
  let lost = false;
  await client.connect();
  try {
    const setup = "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)";
    await client.query({
      text: setup,
      values: [`${timeouts.statementTimeoutMs}ms`, `${timeouts.lockTimeoutMs}ms`],
      ...{ query_timeout: config.connectTimeoutMs },
    });
    const refused = hooks.guard
      ? await hooks.guard(
          async (guardText, guardValues) =>
            (await client.query(guardText, [...guardValues])).rows as Record<string, unknown>[],
        )
      : null;
    if (refused) throw new GuardRefused(refused);
    const backendPid = (client as unknown as { processID: number | null }).processID;
    if (
      hooks.beforeSend &&
      !hooks.beforeSend(() => (backendPid ? cancelBackend(config, url, backendPid) : Promise.resolve()))
    )
      throw new NotSent('stopped before the statement was sent');
    // No bind values → simple protocol: exactly one statement, no implicit extended-protocol transaction.
    // query_timeout is pg's per-query client deadline (its typings leave it out of QueryConfig).
    const statement: pg.QueryConfig = {
      text: tagSql(command, text),
      ...(values.length ? { values: [...values] } : {}),
      ...{ query_timeout: actionDeadlineMs(timeouts.statementTimeoutMs) },
    };
    const readOnly = hooks.transaction === 'read-only-rollback';
    if (readOnly) await client.query({ text: 'BEGIN READ ONLY', ...{ query_timeout: config.connectTimeoutMs } });
    try {
      const result = await client.query(statement).catch((error: unknown) => {
        // Only the server's own error says the statement ended; anything else (socket, client deadline) leaves it open.
        if (error instanceof pg.DatabaseError) throw error;
        lost = true;
        throw new LostDuringStatement(error);
      });
      return result.rows as Record<string, unknown>[];
    } finally {
      // Never COMMIT: a lost connection aborts the transaction on the server, so only a live one needs the ROLLBACK.
      if (readOnly && !lost)
        await client.query({ text: 'ROLLBACK', ...{ query_timeout: config.connectTimeoutMs } }).catch(() => undefined);
    }
  } finally {
    // A graceful end waits for the server's goodbye, which a lost or hung peer never sends.
    if (!lost)
      await Promise.race([
        client.end().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, GOODBYE_WAIT_MS).unref()),
      ]);
    socket.destroy();
  }
}

/** How long closing the action connection may wait for the server's side of the goodbye. */
const GOODBYE_WAIT_MS = 2_000;

/** From a second connection as the same role, since a role may cancel its own backends. */
async function cancelBackend(config: TargetConfig, url: string, pid: number): Promise<void> {
  const canceller = new pg.Client({
    connectionString: url,
    application_name: ACTION_APPLICATION_NAME,
    connectionTimeoutMillis: config.connectTimeoutMs,
  });
  reportConnectionErrors(canceller, `cancel connection to ${config.name}`);
  await canceller.connect();
  try {
    await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
  } finally {
    await canceller.end().catch(() => undefined);
  }
}
