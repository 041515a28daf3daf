import type { IncomingMessage, ServerResponse } from 'node:http';
import { redactText } from '../log/redact.js';
import type { Queryable } from '../state/requests.js';
import { registry } from './metrics.js';

/** The readiness check gives the state database this long to answer. */
const READY_TIMEOUT_MS = 2_000;

interface Route {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * `/readyz`: ready to take traffic, which needs the state database when one is configured (approvals, claims
 * and dedupe live there). It reads one of pgmedic's own tables, not just `SELECT 1`: a state database whose
 * tables are locked answers connections but cannot serve, and readiness says so even while acks fall back to
 * memory. Targets are left out on purpose: a target being down is what the bot reports on.
 * `/metrics`: Prometheus text format.
 */
export function opsRoutes(statePool: Queryable | undefined): Route[] {
  return [
    { path: '/readyz', method: ['GET'], handler: (_req, res) => void readyz(res, statePool) },
    { path: '/metrics', method: ['GET'], handler: (_req, res) => void metrics(res) },
  ];
}

async function readyz(res: ServerResponse, statePool: Queryable | undefined): Promise<void> {
  const stateDatabase = statePool ? await check(statePool) : 'not configured';
  const ready = stateDatabase === 'ok' || stateDatabase === 'not configured';
  res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ready, checks: { stateDatabase } }));
}

async function check(pool: Queryable): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)));
  try {
    await Promise.race([pool.query('SELECT 1 FROM pgmedic.schema_migrations LIMIT 1'), timeout]);
    return 'ok';
  } catch (error) {
    return `error: ${redactText((error as Error).message)}`;
  } finally {
    clearTimeout(timer);
  }
}

async function metrics(res: ServerResponse): Promise<void> {
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`metrics failed: ${(error as Error).message}`);
  }
}
