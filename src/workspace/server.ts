import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WORKSPACE_CHANNEL, WORKSPACE_USERS } from './people.js';
import { slackSender } from './standin/requests.js';
import { createStandInRoutes, readBody, send, type StandInRoutes } from './standin/standin.js';
import type { StoredFile, StoredMessage } from './standin/state.js';
import { createGate, newSecret, sameSecret, type Gate } from './gate.js';

/** What the page's demo buttons do; absent when pgmedic runs against your own databases. */
export interface DemoControls {
  startBlockingChain(): Promise<{ rootPid: number; waitingPids: number[] }>;
}

export interface WorkspaceOptions {
  port: number;
  host?: string;
  botToken: string;
  signingSecret: string;
  demo?: DemoControls;
  /** A name besides localhost / 127.0.0.1 / [::1] that people reach the page by (no port). */
  publicHost?: string;
}

export interface Workspace {
  /** The page with its access token (http://localhost:PORT/?token=…): whoever has it can act as every workspace user. */
  url: string;
  /** SLACK_API_URL for the bot. */
  apiUrl: string;
  standIn: StandInRoutes;
  /** Where the bot's HTTP receiver listens; the page's commands and clicks go there, signed. */
  connectApp(appUrl: string): void;
  stop(): Promise<void>;
}

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const STATIC: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/workspace.js': ['workspace.js', 'text/javascript; charset=utf-8'],
  '/blockkit.js': ['blockkit.js', 'text/javascript; charset=utf-8'],
  '/workspace.css': ['workspace.css', 'text/css; charset=utf-8'],
};

/**
 * The bot's own health, readiness and metrics, reachable on the page's port (the bot's port is internal here).
 * They are not behind the page's cookie (probes and scrapers have none): /readyz and /metrics take the bot's
 * PGMEDIC_OPS_TOKEN, forwarded as sent.
 */
const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

async function forwardToApp(
  appUrl: string | undefined,
  req: IncomingMessage,
  path: string,
  res: ServerResponse,
): Promise<void> {
  if (!appUrl) return send(res, 503, { ok: false, error: 'pgmedic is still starting' });
  const authorization = req.headers.authorization;
  const answer = await fetch(`${appUrl}${path}`, { headers: authorization ? { authorization } : {} }).catch(
    () => undefined,
  );
  if (!answer) return send(res, 503, { ok: false, error: 'pgmedic does not answer' });
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
  res.end(await answer.text());
}

/** The Slack stand-in grown into a server: Slack's side for the bot, a channel page for people. */
export async function startWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  let routes: StandInRoutes | undefined;
  let gate: Gate | undefined;
  let appUrl: string | undefined;
  const server = createServer((req, res) => {
    void handle(req, res).catch(() =>
      send(res, 500, { ok: false, error: 'the workspace failed to answer; see the log' }),
    );
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!routes || !gate) return send(res, 503, 'starting');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (OPS_PATHS.has(path)) return forwardToApp(appUrl, req, path, res);
    const refused = gate.refuseHost(req) ?? gate.refuseOrigin(req);
    if (refused) return send(res, refused.status, refused.reason);
    // Slack's side, used by the bot: the Web API takes the bot token, upload and response URLs carry a secret key.
    if (await routes.route(req, res)) return;
    const offered = url.searchParams.get('token');
    if (req.method === 'GET' && offered !== null) return exchangeToken(gate, offered, url, res);
    if (!gate.signedIn(req))
      return send(res, 401, 'open the address pgmedic printed at start-up (it carries the access token)');
    const asset = STATIC[path];
    if (req.method === 'GET' && asset) return serveFile(res, asset);
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (!path.startsWith('/workspace/')) return send(res, 404, 'not found');
    const badPost = req.method === 'POST' ? gate.refusePost(req) : undefined;
    if (badPost) return send(res, badPost.status, badPost.reason);
    return pageApi(routes, () => appUrl, options, req, res, path.slice(11));
  }
  await listen(server, options.port, options.host ?? '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  gate = createGate({ port, publicHost: options.publicHost });
  routes = createStandInRoutes(`http://127.0.0.1:${port}`, { botToken: options.botToken, urlKey: newSecret() });
  routes.state.botChannels.add(WORKSPACE_CHANNEL.id);
  return {
    url: `http://${options.publicHost ?? 'localhost'}:${port}/?token=${gate.token}`,
    apiUrl: routes.apiUrl,
    standIn: routes,
    connectApp: (url) => {
      appUrl = url;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The page's own API: read the channel as one person, type a command, click a button, drive the demo. */
async function pageApi(
  routes: StandInRoutes,
  appUrl: () => string | undefined,
  options: WorkspaceOptions,
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET' && route === 'info')
    return send(res, 200, { channel: WORKSPACE_CHANNEL, users: WORKSPACE_USERS, demo: Boolean(options.demo) });
  // Block Kit limit violations in anything the bot sent (Slack would have refused those messages).
  if (req.method === 'GET' && route === 'problems') return send(res, 200, { problems: routes.state.problems });
  if (req.method === 'GET' && route === 'home')
    return send(res, 200, { view: routes.state.views.get(url.searchParams.get('user') ?? '') ?? null });
  if (req.method === 'GET' && route === 'messages')
    return send(res, 200, { messages: visibleMessages(routes, url.searchParams.get('user') ?? '') });
  if (req.method !== 'POST') return send(res, 404, 'not found');
  const input = parseObject((await readBody(req)).toString('utf8'));
  if (!input) return send(res, 400, { ok: false, error: 'send a JSON object' });
  if (route === 'demo/blocking-chain') {
    if (!options.demo) return send(res, 404, { ok: false, error: 'no demo database in this run' });
    return send(res, 200, { ok: true, ...(await options.demo.startBlockingChain()) });
  }
  const target = appUrl();
  if (!target) return send(res, 503, { ok: false, error: 'pgmedic is still starting' });
  const user = WORKSPACE_USERS.find((u) => u.id === input.user);
  if (!user) return send(res, 400, { ok: false, error: 'unknown user' });
  const sender = slackSender(target, options.signingSecret, routes);
  if (route === 'command') return send(res, 200, await typeCommand(routes, sender, user.id, input.text ?? ''));
  if (route === 'click') return send(res, 200, await click(routes, sender, user.id, input));
  if (route === 'home') {
    // What Slack sends when someone opens the app's Home tab; the bot answers with views.publish.
    const sent = await sender.event({ type: 'app_home_opened', user: user.id, channel: 'D0PGMEDIC', tab: 'home' });
    return send(
      res,
      200,
      sent.status === 200 ? { ok: true } : { ok: false, error: `pgmedic answered HTTP ${sent.status}` },
    );
  }
  send(res, 404, 'not found');
}

async function typeCommand(routes: StandInRoutes, sender: ReturnType<typeof slackSender>, user: string, typed: string) {
  const text = typed.trim().replace(/^\/pg\b\s*/, '');
  routes.state.addMessage({
    channel: WORKSPACE_CHANNEL.id,
    user,
    text: `/pg ${text}`.trim(),
    ephemeral: true,
    via: 'typed',
  });
  const reply = await sender.command({
    text,
    channel: WORKSPACE_CHANNEL.id,
    channelName: WORKSPACE_CHANNEL.name,
    user,
  });
  return reply.status === 200 ? { ok: true } : { ok: false, error: `pgmedic answered HTTP ${reply.status}` };
}

async function click(
  routes: StandInRoutes,
  sender: ReturnType<typeof slackSender>,
  user: string,
  input: Record<string, string>,
) {
  const message = routes.state.messages.find((m) => String(m.id) === input.messageId);
  if (!message || !input.actionId) return { ok: false, error: 'no such message or button' };
  // Slack's response_url for a click acts on the clicked message (replace_original / delete_original).
  const responseUrl = routes.newResponseUrl(message.channel, user);
  const entry = routes.state.responseUrls.get(responseUrl.split('/').pop() ?? '');
  if (entry) entry.originalId = message.id;
  const reply = await sender.click(input.actionId, input.value ?? '', {
    channel: message.channel,
    user,
    messageTs: message.ts,
    responseUrl,
    ephemeral: message.ephemeral,
  });
  return reply.status === 200 ? { ok: true } : { ok: false, error: `pgmedic answered HTTP ${reply.status}` };
}

/** The channel as one person sees it: everything public, plus what was only for them, plus uploaded files. */
function visibleMessages(routes: StandInRoutes, user: string) {
  const shown = (m: StoredMessage) =>
    m.channel === WORKSPACE_CHANNEL.id && !m.deleted && (!m.ephemeral || m.user === user);
  const messages = routes.state.messages.filter(shown).map((m) => ({
    id: m.id,
    ts: m.ts,
    from: m.via === 'typed' ? m.user : 'bot',
    text: m.text ?? '',
    blocks: m.blocks ?? [],
    ephemeral: m.ephemeral,
    threadTs: m.threadTs,
    edited: m.history.length > 0,
  }));
  // File ids come from the same counter as message ids (F12 after message 11), which keeps them in order.
  const files = [...routes.state.files.values()]
    .filter((f) => f.channel === WORKSPACE_CHANNEL.id && f.content !== undefined)
    .map((f) => ({
      id: Number(f.id.slice(1)),
      ts: '',
      from: 'bot',
      text: '',
      blocks: [],
      ephemeral: false,
      threadTs: f.threadTs,
      edited: false,
      file: fileView(f),
    }));
  return [...messages, ...files].sort((a, b) => a.id - b.id);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG (a trend chart) goes to the page as an image; anything else as the text it is. */
function fileView(f: StoredFile) {
  const name = f.title ?? f.filename;
  if (f.bytes?.subarray(0, 8).equals(PNG_SIGNATURE))
    return { name, image: `data:image/png;base64,${f.bytes.toString('base64')}` };
  return { name, content: f.content };
}

/** First load: the secret from the printed address becomes the cookie, and the address bar loses it. */
function exchangeToken(gate: Gate, offered: string, url: URL, res: ServerResponse): void {
  if (!sameSecret(offered, gate.token))
    return send(res, 401, 'this access token is not the one pgmedic printed at start-up');
  url.searchParams.delete('token');
  // One leading slash: `//host` would send the browser elsewhere.
  res.writeHead(303, {
    'set-cookie': gate.setCookie(),
    location: `/${url.pathname.replace(/^\/+/, '')}${url.search}`,
    'cache-control': 'no-store',
  });
  res.end();
}

function parseObject(text: string): Record<string, string> | undefined {
  try {
    const value = JSON.parse(text || '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

async function serveFile(res: ServerResponse, [file, type]: [string, string]): Promise<void> {
  const body = await readFile(`${PAGE_DIR}${file}`);
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
