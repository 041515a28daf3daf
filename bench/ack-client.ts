/**
 * The measuring client of bench:ack, in a process of its own (forked by bench/ack.bench.ts): its event loop does
 * nothing but send commands and time their acks, so a late ack is the bot's, not the Slack stand-in's work (which
 * stays in the parent, answering the bot's response_url posts). Talks to the parent over the IPC channel.
 * It sends the same signed form as the tests' sender (test/support/slack/requests.ts), over node:http with
 * keep-alive rather than fetch: fetch cost the client ~1 ms of CPU per request, and 20 of them queued in the
 * client's own loop showed up as ack latency.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { signedHeaders, slashCommandForm } from '../test/support/slack/requests.js';

/** Parent → client. */
export type ToClient =
  | { type: 'run'; batch: number; inFlight: number; responseUrls: string[] }
  | { type: 'answered'; responseUrl: string };
/** Client → parent. */
export type FromClient =
  | { type: 'ack'; responseUrl: string; ack: { text?: string; blocks?: unknown[]; response_type?: string } }
  | { type: 'done'; batch: number; latencies: number[] }
  | { type: 'failed'; message: string };

const [appUrl, secret] = process.argv.slice(2);
if (!appUrl || !secret || !process.send) throw new Error('run by bench/ack.bench.ts (fork, with an IPC channel)');
const toParent = (message: FromClient) => process.send!(message);
const endpoint = new URL('/slack/events', appUrl);
const agent = new Agent({ keepAlive: true });

/** Sends one signed `/pg locks`; resolves with the HTTP status, the ack's body and the ack latency in ms. */
function sendCommand(responseUrl: string): Promise<{ status: number; body: string; ms: number }> {
  const form = slashCommandForm({ text: 'locks', channel: 'CBENCH' }, responseUrl, `trigger-${randomUUID()}`);
  const headers = {
    ...signedHeaders(secret!, form, 'application/x-www-form-urlencoded'),
    'content-length': `${Buffer.byteLength(form)}`,
  };
  return new Promise((resolve, reject) => {
    const sent = process.hrtime.bigint();
    const req = request(endpoint, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - sent) / 1e6;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(form);
  });
}

const waiting = new Map<string, () => void>();
const answered = (responseUrl: string) => new Promise<void>((resolve) => waiting.set(responseUrl, resolve));

/** Keeps `inFlight` commands outstanding, each until its answer reached the response_url; ack latency in ms. */
async function runBatch(inFlight: number, responseUrls: string[]): Promise<number[]> {
  // The parent made the response URLs (the stand-in holds them) and records each ack once it is timed.
  const urls = [...responseUrls];
  const latencies: number[] = [];
  const worker = async () => {
    for (let responseUrl = urls.shift(); responseUrl; responseUrl = urls.shift()) {
      const { status, body, ms } = await sendCommand(responseUrl);
      latencies.push(ms);
      const ack = status === 200 && body ? (JSON.parse(body) as { text?: string }) : undefined;
      if (!ack?.text?.includes('Running')) throw new Error(`unexpected ack: ${status} ${body}`);
      const done = answered(responseUrl);
      toParent({ type: 'ack', responseUrl, ack });
      await done;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return latencies;
}

process.on('message', (message: ToClient) => {
  if (message.type === 'answered') {
    waiting.get(message.responseUrl)?.();
    waiting.delete(message.responseUrl);
    return;
  }
  runBatch(message.inFlight, message.responseUrls).then(
    (latencies) => toParent({ type: 'done', batch: message.batch, latencies }),
    (error: unknown) => toParent({ type: 'failed', message: String(error) }),
  );
});
