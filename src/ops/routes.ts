import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import { stateAnswers } from '../state/ops-reads.js';
import type { Queryable } from '../state/requests.js';
import { sameSecret } from '../workspace/gate.js';
import { registry } from './metrics.js';

/** The readiness check gives the state database this long to answer. */
const READY_TIMEOUT_MS = 2_000;

interface Route {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface OpsOptions {
  /** PGMEDIC_OPS_TOKEN: when set, /readyz and /metrics answer only `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** How long one answer is reused, so scrapes never become state-database load (PGMEDIC_OPS_CACHE_SECONDS). */
  cacheMs: number;
  logger?: Logger;
}

interface Answer {
  status: number;
  type: string;
  body: string;
}

/**
 * `/readyz`: ready to take traffic, which needs the state database when one is configured (approvals, claims
 * and dedupe live there). It reads one of pgmedic's own tables, not just `SELECT 1`: a state database whose
 * tables are locked answers connections but cannot serve, and readiness says so even while acks fall back to
 * memory. Targets are left out on purpose: a target being down is what the bot reports on.
 * The answer names no host or role: why the state database failed goes to the log.
 * `/metrics`: Prometheus text format.
 */
export function opsRoutes(statePool: Queryable | undefined, options: OpsOptions = { cacheMs: 0 }): Route[] {
  const route = (path: string, produce: () => Promise<Answer>): Route => {
    const cached = cache(produce, options.cacheMs);
    return {
      path,
      method: ['GET'],
      handler: (req, res) => {
        if (options.token && !sameSecret(bearer(req), options.token))
          return reply(res, {
            status: 401,
            type: 'text/plain',
            body: 'send Authorization: Bearer <PGMEDIC_OPS_TOKEN>',
          });
        void cached().then((answer) => reply(res, answer));
      },
    };
  };
  return [route('/readyz', () => readyz(statePool, options.logger)), route('/metrics', () => metrics(options.logger))];
}

const bearer = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

function reply(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { 'content-type': answer.type, 'cache-control': 'no-store' });
  res.end(answer.body);
}

/** One answer per `ms`, shared by every request in that window (and by concurrent ones). */
function cache(produce: () => Promise<Answer>, ms: number): () => Promise<Answer> {
  let last: { at: number; answer: Promise<Answer> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= ms) last = { at: Date.now(), answer: produce() };
    return last.answer;
  };
}

async function readyz(statePool: Queryable | undefined, logger: Logger | undefined): Promise<Answer> {
  const stateDatabase = statePool ? await check(statePool, logger) : 'not configured';
  const ready = stateDatabase !== 'error';
  return {
    status: ready ? 200 : 503,
    type: 'application/json',
    body: JSON.stringify({ ready, checks: { stateDatabase } }),
  };
}

async function check(pool: Queryable, logger: Logger | undefined): Promise<'ok' | 'error'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)),
  );
  try {
    await Promise.race([stateAnswers(pool), timeout]);
    return 'ok';
  } catch (error) {
    logger?.warn({ err: error }, 'readiness: the state database does not answer');
    return 'error';
  } finally {
    clearTimeout(timer);
  }
}

async function metrics(logger: Logger | undefined): Promise<Answer> {
  try {
    return { status: 200, type: registry.contentType, body: await registry.metrics() };
  } catch (error) {
    logger?.error({ err: error }, 'metrics failed');
    return { status: 500, type: 'text/plain', body: 'metrics failed; see the log' };
  }
}
