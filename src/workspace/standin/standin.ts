import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newSecret, sameSecret } from '../gate.js';
import { BOT, callMethod, validate } from './methods.js';
import {
  RESPONSE_URL_LIFETIME_MS,
  RESPONSE_URL_MAX_USES,
  createState,
  type InjectedFailure,
  type RecordedCall,
  type StandInState,
} from './state.js';

export { BOT };

/** A local stand-in for Slack: Web API methods, file upload URLs and response_url endpoints over real HTTP. */
export interface SlackStandIn {
  /** Base URL for SLACK_API_URL. */
  apiUrl: string;
  botToken: string;
  state: StandInState;
  /** A fresh response_url for one slash command or click, bound to a channel and user. */
  newResponseUrl(channel: string, user: string): string;
  /** Registers the ack body of a slash command as the message its response_url replaces or deletes. */
  recordAck(responseUrl: string, ack: { text?: string; blocks?: unknown[]; response_type?: string }): void;
  /** The next call to `method` fails this way (errors and 429s). */
  failNext(method: string, failure: InjectedFailure): void;
  callsTo(method: string): RecordedCall[];
  /** Resolves after the next request the stand-in handles (instead of polling). */
  nextRequest(): Promise<void>;
  /** Moves the stand-in's clock (response_url expiry). */
  advanceClock(ms: number): void;
  stop(): Promise<void>;
}

/** The stand-in without a server of its own: `route` answers /api/, /upload/ and /response/ requests. */
export interface StandInRoutes extends Omit<SlackStandIn, 'stop'> {
  /** Handles the request when its path is one of Slack's; false when it is not (the caller answers it). */
  route(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

const JSON_FIELDS = new Set(['blocks', 'view', 'files', 'attachments', 'metadata']);
const SLACK_PATHS = /^\/(api|upload|response)\//;

/**
 * `base` is the URL the routes are served under (http://host:port, no trailing slash). Upload and response URLs
 * carry `urlKey` (random unless given) the way Slack's carry a secret: only the bot, which was handed them, can post.
 */
export function createStandInRoutes(base: string, options: { botToken?: string; urlKey?: string } = {}): StandInRoutes {
  const botToken = options.botToken ?? 'xoxb-test-token';
  const urlKey = options.urlKey ?? newSecret();
  const state = createState();
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  let waiters: (() => void)[] = [];
  const notify = () => {
    const ready = waiters;
    waiters = [];
    for (const wake of ready) wake();
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', base).pathname;
    if (path.startsWith('/api/')) return apiCall(path.slice(5), req, body, res);
    const [, kind, key, id = ''] = path.split('/');
    if (!sameSecret(key, urlKey)) return send(res, 404, 'no_such_url');
    if (kind === 'upload') return upload(id, req, body, res);
    return responseUrl(id, body, res);
  }

  function apiCall(method: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const args = parseArgs(req.headers['content-type'] ?? '', body);
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? args.token;
    if (typeof token !== 'string' || !sameSecret(token, botToken))
      return send(res, 200, { ok: false, error: 'invalid_auth' });
    state.calls.push({ method, args });
    const failure = state.failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      res.writeHead(429, { 'retry-after': String(failure.retryAfterSeconds), 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    if (failure) return send(res, 200, { ok: false, error: failure.error });
    send(res, 200, callMethod(state, method, args, `${base}/upload/${urlKey}/`));
  }

  async function upload(fileId: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const file = state.files.get(fileId);
    if (!file) return send(res, 404, 'file_not_found');
    file.bytes = await uploadedBytes(req.headers['content-type'] ?? '', body);
    file.content = file.bytes.toString('utf8');
    send(res, 200, `OK - ${body.length}`);
  }

  function responseUrl(id: string, body: Buffer, res: ServerResponse): void {
    const entry = state.responseUrls.get(id);
    if (!entry) return send(res, 404, 'no_such_url');
    if (now() - entry.createdAt > RESPONSE_URL_LIFETIME_MS) return send(res, 404, 'expired_url');
    if (entry.uses >= RESPONSE_URL_MAX_USES) return send(res, 404, 'used_url');
    entry.uses++;
    const payload = parsePayload(body);
    if (!payload) return send(res, 400, 'invalid_payload');
    state.calls.push({ method: 'response_url', args: { ...payload, responseUrlId: id } });
    const original = state.messages.find((m) => m.id === entry.originalId);
    if (payload.delete_original) {
      if (original) original.deleted = true;
      return send(res, 200, 'ok');
    }
    if (!validate(state, 'response_url', payload)) return send(res, 400, 'invalid_blocks');
    const content = { text: payload.text as string | undefined, blocks: payload.blocks as unknown[] | undefined };
    if (payload.replace_original && original && !original.deleted) {
      original.history.push({ text: original.text, blocks: original.blocks });
      Object.assign(original, content);
      return send(res, 200, 'ok');
    }
    const ephemeral = payload.response_type !== 'in_channel';
    state.addMessage({
      channel: entry.channel,
      ...content,
      ephemeral,
      ...(ephemeral ? { user: entry.user } : {}),
      via: 'response_url',
    });
    send(res, 200, 'ok');
  }

  return {
    apiUrl: `${base}/api/`,
    botToken,
    state,
    async route(req, res) {
      if (!SLACK_PATHS.test(new URL(req.url ?? '/', base).pathname)) return false;
      await dispatch(req, res)
        .catch((error: unknown) => send(res, 500, { ok: false, error: String(error) }))
        .finally(notify);
      return true;
    },
    newResponseUrl(channel, user) {
      const id = `R${state.nextId()}`;
      state.responseUrls.set(id, { id, channel, user, createdAt: now(), uses: 0 });
      return `${base}/response/${urlKey}/${id}`;
    },
    recordAck(url, ack) {
      const entry = state.responseUrls.get(url.split('/').pop() ?? '');
      if (!entry || (!ack.text && !ack.blocks)) return;
      validate(state, 'ack', ack);
      const ephemeral = ack.response_type !== 'in_channel';
      entry.originalId = state.addMessage({
        channel: entry.channel,
        text: ack.text,
        blocks: ack.blocks,
        ephemeral,
        ...(ephemeral ? { user: entry.user } : {}),
        via: 'ack',
      }).id;
    },
    failNext(method, failure) {
      state.failures.set(method, [...(state.failures.get(method) ?? []), failure]);
    },
    callsTo: (method) => state.calls.filter((c) => c.method === method),
    nextRequest: () => new Promise<void>((resolve) => waiters.push(resolve)),
    advanceClock: (ms) => {
      clockOffset += ms;
    },
  };
}

/** The stand-in on its own local server (tests). */
export async function startSlackStandIn(options: { botToken?: string } = {}): Promise<SlackStandIn> {
  let routes: StandInRoutes | undefined;
  const server = createServer((req, res) => {
    void routes?.route(req, res).then((handled) => handled || send(res, 404, 'not found'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  routes = createStandInRoutes(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, options);
  const { route: _route, ...standIn } = routes;
  return { ...standIn, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function parsePayload(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseArgs(contentType: string, body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  if (contentType.includes('application/json')) return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  return args;
}

/** The Web API client posts the file as multipart form data; anything else is taken as the raw content. */
async function uploadedBytes(contentType: string, body: Buffer): Promise<Buffer> {
  if (!contentType.startsWith('multipart/form-data')) return body;
  const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  const [first] = [...form.values()];
  return typeof first === 'string'
    ? Buffer.from(first, 'utf8')
    : first
      ? Buffer.from(await first.arrayBuffer())
      : Buffer.alloc(0);
}

/** Slack's own cap on a file is far larger, but nothing the bot or the page sends comes near this. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  const json = typeof body !== 'string';
  res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain' });
  res.end(json ? JSON.stringify(body) : body);
}
