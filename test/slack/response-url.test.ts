import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postToResponseUrl, responderFor } from '../../src/slack/response-url.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

// The slash command's and button clicks' answers reach Slack through postToResponseUrl (not Bolt's respond): it must post what
// respond() posts and fail where respond() fails, so a refused answer is logged instead of passing silently.
let standIn: SlackStandIn;

beforeAll(async () => {
  standIn = await startSlackStandIn();
});
afterAll(() => standIn?.stop());

describe('postToResponseUrl', () => {
  it('replaces the note a response_url belongs to, posting JSON as respond() does', async () => {
    const url = standIn.newResponseUrl('C1', 'U1');
    standIn.recordAck(url, { text: 'Running locks on prod…' });
    await postToResponseUrl(url, { replace_original: true, response_type: 'ephemeral', text: 'first' });
    await postToResponseUrl(url, { replace_original: true, response_type: 'ephemeral', text: 'second' });
    const note = standIn.state.messages.find((m) => m.via === 'ack' && m.history.length);
    expect([note?.text, note?.history.map((h) => h.text)]).toEqual(['second', ['Running locks on prod…', 'first']]);
    const calls = standIn.callsTo('response_url').filter((c) => c.args.responseUrlId === url.split('/').pop());
    expect(calls.map((c) => c.args.text)).toEqual(['first', 'second']);
  });

  it('rejects with the status when Slack refuses the post (a used-up response_url)', async () => {
    const url = standIn.newResponseUrl('C1', 'U1');
    for (let use = 0; use < 5; use++) await postToResponseUrl(url, { text: `reply ${use}` });
    await expect(postToResponseUrl(url, { text: 'one too many' })).rejects.toThrow(
      'Failed to respond to the response_url: 404 Not Found',
    );
  });

  it('refuses a response_url that is not http(s) or not a URL, without sending anything', async () => {
    const before = standIn.state.calls.length;
    await expect(postToResponseUrl('file:///etc/passwd', { text: 'x' })).rejects.toThrow('file: is not http(s)');
    await expect(postToResponseUrl('javascript:alert(1)', { text: 'x' })).rejects.toThrow('javascript: is not http(s)');
    await expect(postToResponseUrl('not a url', { text: 'x' })).rejects.toThrow('it is not a URL');
    expect(standIn.state.calls.length).toBe(before);
  });

  it('rejects when the connection fails, rather than hanging the command', async () => {
    const server = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      await expect(postToResponseUrl(`http://127.0.0.1:${port}/commands/x`, { text: 'x' })).rejects.toThrow();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers a click through its response_url, and fails clearly for a click that came without one', async () => {
    const url = standIn.newResponseUrl('C1', 'U1');
    await responderFor(url)({ response_type: 'ephemeral', replace_original: false, text: 'only for you' });
    const calls = standIn.callsTo('response_url').filter((c) => c.args.responseUrlId === url.split('/').pop());
    expect(calls.map((c) => c.args.text)).toEqual(['only for you']);
    await expect(responderFor(undefined)({ text: 'x' })).rejects.toThrow('this click came without a response_url');
  });
});
