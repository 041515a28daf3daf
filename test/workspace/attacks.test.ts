import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/workspace/standin/requests.js';
import { startWorkspace, type Workspace } from '../../src/workspace/server.js';

// Everything an attacker who can reach the port (or make a browser reach it) might try. The "bot" behind the page is
// a recorder: none of these attempts may reach it, and the one signed-in, same-origin request must.
const SIGNING_SECRET = 'local-signing-secret';
let workspace: Workspace;
let bot: Server;
let port: number;
let cookie: string;
const botSaw: { body: string; signatureValid: boolean }[] = [];
let chainsStarted = 0;

beforeAll(async () => {
  bot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signatureValid =
        req.headers['x-slack-signature'] ===
        signBody(SIGNING_SECRET, Number(req.headers['x-slack-request-timestamp']), body);
      botSaw.push({ body, signatureValid });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  const demo = {
    startBlockingChain: async () => {
      chainsStarted += 1;
      return { rootPid: 1, waitingPids: [2] };
    },
  };
  workspace = await startWorkspace({ port: 0, botToken: 'xoxb-local-token', signingSecret: SIGNING_SECRET, demo });
  workspace.connectApp(`http://127.0.0.1:${(bot.address() as AddressInfo).port}`);
  const page = new URL(workspace.url);
  port = Number(page.port);
  cookie = `pgmedic_workspace_${port}=${page.searchParams.get('token')}`;
});
afterAll(async () => {
  await workspace?.stop();
  await new Promise((resolve) => bot?.close(resolve));
});

/** Raw HTTP, so the Host, Origin and Content-Type headers are exactly what an attacker sends. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; text: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `localhost:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const commandBody = JSON.stringify({ user: 'U0SAM', text: '/pg terminate 4242' });
const good = () => ({ cookie, 'content-type': 'application/json' });
const postCommand = (headers: Record<string, string>, body = commandBody) =>
  raw('POST', '/workspace/command', headers, body);

describe('the local workspace refuses every way in but the printed address', () => {
  it('the printed address carries a 256-bit token; opening it sets an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
    const token = new URL(workspace.url).searchParams.get('token')!;
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
    const first = await raw('GET', `/?token=${token}&user=U0SAM`, {});
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/?user=U0SAM');
    expect(first.headers['set-cookie']?.[0]).toBe(
      `pgmedic_workspace_${port}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    );
    // The redirect stays on this site whatever path the address carried.
    expect((await raw('GET', `/.//evil.example/?token=${token}`, {})).headers.location).toBe('/evil.example/');
    const page = await raw('GET', '/', { cookie });
    expect([page.status, page.text]).toEqual([200, expect.stringContaining('<title>pgmedic')]);
  });

  it('no token, a wrong token, a wrong cookie: 401 on the page, its scripts and every API', async () => {
    const attempts = [
      await raw('GET', '/', {}),
      await raw('GET', '/workspace.js', {}),
      await raw('GET', '/?token=guessed', {}),
      await raw('GET', '/workspace/messages?user=U0SAM', {}),
      await raw('GET', '/workspace/info', { cookie: `pgmedic_workspace_${port}=guessed` }),
      await raw('GET', '/workspace/messages?user=U0SAM', {
        cookie: `pgmedic_workspace_${port + 1}=${cookie.split('=')[1]}`,
      }),
      await postCommand({ 'content-type': 'application/json', origin: `http://localhost:${port}` }),
      await postCommand({
        'content-type': 'application/json',
        origin: `http://localhost:${port}`,
        cookie: `pgmedic_workspace_${port}=`,
      }),
    ];
    expect(attempts.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 401, 401, 401]);
    expect(botSaw).toEqual([]);
  });

  it('a foreign Host (DNS rebinding) is refused even with the cookie', async () => {
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
    ]) {
      const read = await raw('GET', '/workspace/messages?user=U0SAM', { cookie, host });
      expect([host, read.status]).toEqual([host, 421]);
      const write = await postCommand({ ...good(), host, origin: `http://${host}` });
      expect(write.status).toBe(421);
    }
    // The same for Slack's side of the stand-in.
    expect(
      (await raw('POST', '/api/auth.test', { host: 'evil.example', authorization: 'Bearer xoxb-local-token' })).status,
    ).toBe(421);
    expect(botSaw).toEqual([]);
  });

  it('a cross-origin POST, a text/plain or form-encoded POST, a POST without Origin: refused, nothing reaches the bot', async () => {
    const origin = `http://localhost:${port}`;
    const attempts = {
      crossOrigin: await postCommand({ ...good(), origin: 'http://evil.example' }),
      nullOrigin: await postCommand({ ...good(), origin: 'null' }),
      otherPort: await postCommand({ ...good(), origin: `http://localhost:${port + 1}` }),
      textPlain: await postCommand({ cookie, origin, 'content-type': 'text/plain' }),
      formEncoded: await postCommand(
        { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
        `user=U0SAM&text=${encodeURIComponent('/pg terminate 4242')}`,
      ),
      multipart: await postCommand({ cookie, origin, 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\n'),
      jsonLookalike: await postCommand({ cookie, origin, 'content-type': 'text/plain; application/json' }),
      noOrigin: await postCommand({ cookie, 'content-type': 'application/json' }),
      clickCrossOrigin: await raw(
        'POST',
        '/workspace/click',
        { ...good(), origin: 'https://evil.example' },
        JSON.stringify({ user: 'U0SAM', messageId: '1', actionId: 'approve' }),
      ),
      demoCrossOrigin: await raw(
        'POST',
        '/workspace/demo/blocking-chain',
        { ...good(), origin: 'https://evil.example' },
        '{}',
      ),
      demoTextPlain: await raw(
        'POST',
        '/workspace/demo/blocking-chain',
        { cookie, origin, 'content-type': 'text/plain' },
        '{}',
      ),
    };
    expect(Object.fromEntries(Object.entries(attempts).map(([k, v]) => [k, v.status]))).toEqual({
      crossOrigin: 403,
      nullOrigin: 403,
      otherPort: 403,
      textPlain: 415,
      formEncoded: 415,
      multipart: 415,
      jsonLookalike: 415,
      noOrigin: 403,
      clickCrossOrigin: 403,
      demoCrossOrigin: 403,
      demoTextPlain: 415,
    });
    // A GET from another site carrying an Origin header is refused too.
    expect((await raw('GET', '/workspace/messages?user=U0SAM', { cookie, origin: 'http://evil.example' })).status).toBe(
      403,
    );
    expect(botSaw).toEqual([]);
    expect(chainsStarted).toBe(0);
  });

  it('the stand-in endpoints: response and upload URLs need their secret key; the Web API needs the bot token', async () => {
    const responseUrl = workspace.standIn.newResponseUrl('C0INCIDENT', 'U0ALICE');
    const id = responseUrl.split('/').pop()!;
    const upload = (await (
      await fetch(`${workspace.apiUrl}files.getUploadURLExternal`, {
        method: 'POST',
        headers: { authorization: 'Bearer xoxb-local-token', 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'r.txt', length: 5 }),
      })
    ).json()) as { upload_url: string; file_id: string };
    const before = workspace.standIn.state.messages.length;
    const json = { 'content-type': 'application/json' };
    const attempts = [
      await raw(
        'POST',
        `/response/${id}`,
        json,
        JSON.stringify({ text: 'Approved by sam', response_type: 'in_channel' }),
      ),
      await raw(
        'POST',
        `/response/guessed/${id}`,
        json,
        JSON.stringify({ text: 'Approved by sam', response_type: 'in_channel' }),
      ),
      await raw('POST', `/response/${id}/${id}`, json, JSON.stringify({ text: 'x' })),
      await raw('POST', `/upload/${upload.file_id}`, { 'content-type': 'text/plain' }, 'fake report'),
      await raw('POST', `/upload/guessed/${upload.file_id}`, { 'content-type': 'text/plain' }, 'fake report'),
      // With the right key but from a browser on another site.
      await raw(
        'POST',
        new URL(responseUrl).pathname,
        { ...json, origin: 'http://evil.example' },
        JSON.stringify({ text: 'x' }),
      ),
    ];
    expect(attempts.map((a) => a.status)).toEqual([404, 404, 404, 404, 404, 403]);
    const noToken = await raw(
      'POST',
      '/api/chat.postMessage',
      json,
      JSON.stringify({ channel: 'C0INCIDENT', text: 'Approved by sam' }),
    );
    const wrongToken = await raw(
      'POST',
      '/api/chat.postMessage',
      { ...json, authorization: 'Bearer xoxb-guessed' },
      JSON.stringify({ channel: 'C0INCIDENT', text: 'Approved by sam' }),
    );
    expect([JSON.parse(noToken.text), JSON.parse(wrongToken.text)]).toEqual([
      { ok: false, error: 'invalid_auth' },
      { ok: false, error: 'invalid_auth' },
    ]);
    expect(workspace.standIn.state.messages.length).toBe(before);
    expect(workspace.standIn.state.files.get(upload.file_id)?.content).toBeUndefined();
    // The bot, which holds the URLs it was given, still gets through.
    expect((await fetch(upload.upload_url, { method: 'POST', body: 'real' })).status).toBe(200);
    expect(
      (await fetch(responseUrl, { method: 'POST', headers: json, body: JSON.stringify({ text: 'ok' }) })).status,
    ).toBe(200);
  });

  it('the signed-in page, same origin, JSON: the command reaches the bot, signed', async () => {
    const sent = await postCommand({ ...good(), origin: `http://localhost:${port}` });
    expect([sent.status, JSON.parse(sent.text)]).toEqual([200, { ok: true }]);
    expect(botSaw).toHaveLength(1);
    expect(botSaw[0]).toMatchObject({ signatureValid: true, body: expect.stringContaining('text=terminate+4242') });
    const badJson = await postCommand({ ...good(), origin: `http://localhost:${port}` }, '{not json');
    expect(badJson.status).toBe(400);
  });
});
