/**
 * The measuring client of bench:ack, in a process of its own (forked by bench/ack.bench.ts): its event loop does
 * nothing but send commands and time their acks, so a late ack is the bot's, not the Slack stand-in's work (which
 * stays in the parent, answering the bot's response_url posts). Talks to the parent over the IPC channel.
 */
import { slackSender } from '../test/support/slack/requests.js';

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

const waiting = new Map<string, () => void>();
const answered = (responseUrl: string) => new Promise<void>((resolve) => waiting.set(responseUrl, resolve));

/** Keeps `inFlight` commands outstanding, each until its answer reached the response_url; ack latency in ms. */
async function runBatch(inFlight: number, responseUrls: string[]): Promise<number[]> {
  const urls = [...responseUrls];
  // The parent made the response URLs (the stand-in holds them); recording the ack happens after the clock stops.
  const send = slackSender(appUrl!, secret!, { newResponseUrl: () => urls.shift()!, recordAck: () => undefined });
  const latencies: number[] = [];
  const worker = async () => {
    while (urls.length) {
      const sent = process.hrtime.bigint();
      const reply = await send.command({ text: 'locks', channel: 'CBENCH' });
      latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
      if (reply.status !== 200 || !reply.ack?.text?.includes('Running'))
        throw new Error(`unexpected ack: ${reply.status} ${JSON.stringify(reply.ack)}`);
      const done = answered(reply.responseUrl);
      toParent({ type: 'ack', responseUrl: reply.responseUrl, ack: reply.ack });
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
