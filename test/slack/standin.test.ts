import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

// The stand-in must behave like Slack where pgmedic depends on it, or the end-to-end tests prove little.
let standIn: SlackStandIn;
let client: WebClient;

beforeAll(async () => {
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('C1');
  client = new WebClient(standIn.botToken, {
    slackApiUrl: standIn.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
});
afterAll(() => standIn?.stop());

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('Slack stand-in', () => {
  it('allows a response_url 5 uses, then refuses it; and refuses it after 30 minutes', async () => {
    const url = standIn.newResponseUrl('C1', 'U1');
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(url, { text: `reply ${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    const later = standIn.newResponseUrl('C1', 'U1');
    standIn.advanceClock(31 * 60_000);
    const expired = await post(later, { text: 'late' });
    expect([expired.status, await expired.text()]).toEqual([404, 'expired_url']);
  });

  it('refuses and records a message over the Block Kit limits', async () => {
    const error = await client.chat
      .postMessage({
        channel: 'C1',
        text: 'x',
        blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(200) } }],
      })
      .catch((e: { data?: { error?: string } }) => e.data?.error);
    expect(error).toBe('invalid_blocks');
    expect(standIn.state.problems.splice(0)).toEqual([
      'chat.postMessage: block 0 (header): header text longer than 150',
    ]);
  });

  it('refuses a data table Slack would refuse, and one on the Home tab, and takes a good one in a message', async () => {
    const cell = (text: string) => ({ type: 'raw_text', text });
    const good = { type: 'data_table', caption: 'Tables', page_size: 10, rows: [[cell('table')], [cell('orders')]] };
    const bad = { ...good, rows: [[{ type: 'rich_text', elements: [] }], [cell('orders')]] };
    const refused = await client.chat
      .postMessage({ channel: 'C1', text: 'x', blocks: [bad as never] })
      .catch((e: { data?: { error?: string } }) => e.data?.error);
    expect(refused).toBe('invalid_blocks');
    const home = await client.views
      .publish({ user_id: 'U1', view: { type: 'home', blocks: [good as never] } })
      .catch((e: { data?: { error?: string } }) => e.data?.error);
    expect(home).toBe('invalid_blocks');
    expect(standIn.state.problems.splice(0)).toEqual([
      'chat.postMessage: block 0 (data_table): a header cell cannot be rich_text',
      'views.publish: data_table blocks appear only in messages, not in a home',
    ]);
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [good as never] })).resolves.toMatchObject(
      {
        ok: true,
      },
    );
  });

  it('injects errors and 429s', async () => {
    standIn.failNext('chat.update', { error: 'message_not_found' });
    standIn.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0 });
    await expect(client.chat.update({ channel: 'C1', ts: '1.0', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toThrow(/rate limit/i);
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('takes a file through the three upload steps', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'parent' });
    await client.filesUploadV2({
      channel_id: 'C1',
      thread_ts: posted.ts!,
      content: 'full report\nline 2',
      filename: 'r.txt',
      title: 'Report',
    });
    expect([...standIn.state.files.values()].at(-1)).toMatchObject({
      filename: 'r.txt',
      content: 'full report\nline 2',
      channel: 'C1',
      threadTs: posted.ts,
      title: 'Report',
    });
    expect(standIn.callsTo('files.getUploadURLExternal')).toHaveLength(1);
  });

  it('refuses a wrong token', async () => {
    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });
});
