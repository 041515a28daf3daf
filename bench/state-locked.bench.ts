/**
 * Ack latency of `/pg health` while every table of the state database is locked: another session holds ACCESS
 * EXCLUSIVE on all of them, so the retry-dedupe claim and every other state write waits. The ack must not:
 * the claim has a 250 ms deadline, then memory takes over for a while (src/slack/dedupe.ts).
 * 50 commands, BENCH_IN_FLIGHT (default 5) at a time, after 5 warm-up commands (the first of which meets the
 * deadline); each command counts as in flight until its report reaches the response_url. Budget: p99 < 100 ms.
 *
 * Run: npm run bench:state-locked   (starts PostgreSQL 18, the Slack stand-in, and the bot as a child process)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/embedded/cluster.js';
import { connect } from '../test/support/clients.js';
import { startTestServer } from '../test/support/pg.js';
import { slackSender } from '../test/support/slack/requests.js';
import { startSlackStandIn, type SlackStandIn } from '../test/support/slack/standin.js';

const COMMANDS = 50;
const WARM_UP = 5;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 5);
const SECRET = 'bench-signing-secret-0123456789';

async function main(): Promise<void> {
  const server = await startTestServer(18);
  const standIn = await startSlackStandIn();
  const admin = await connect(server.url(), 'bench-admin');
  await admin.query('CREATE DATABASE bench_state');
  const dir = mkdtempSync(join(tmpdir(), 'pgmedic-state-locked-'));
  const { bot, url } = await startBot(server.url(), server.url('bench_state'), standIn, dir);
  const locker = await connect(server.url('bench_state'), 'bench-locker');
  try {
    await waitReady(url);
    const { rows } = await locker.query<{ name: string }>(
      "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'pgmedic'",
    );
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${rows.map((r) => r.name).join(', ')} IN ACCESS EXCLUSIVE MODE`);
    console.log(`locked ${rows.length} state tables: ${rows.map((r) => r.name).join(', ')}`);
    const send = slackSender(url, SECRET, standIn);
    const warmUp = await runBatch(send, standIn, WARM_UP, 1);
    const readyz = await fetch(`${url}/readyz`).then(async (r) => `${r.status} ${await r.text()}`);
    const latencies = await runBatch(send, standIn, COMMANDS, IN_FLIGHT);
    printResults(warmUp, latencies, readyz);
  } finally {
    await locker.end();
    bot.kill('SIGTERM');
    await new Promise((resolve) => bot.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
    await admin.end();
    await standIn.stop();
    await server.stop();
  }
}

async function startBot(
  databaseUrl: string,
  stateUrl: string,
  standIn: SlackStandIn,
  dir: string,
): Promise<{ bot: ChildProcess; url: string }> {
  const configPath = join(dir, 'pgmedic.yml');
  writeFileSync(configPath, `targets:\n  - name: prod\n    url: ${databaseUrl}\n`);
  const port = await freePort();
  const bot = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: standIn.botToken,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: standIn.apiUrl,
      PORT: String(port),
      PGMEDIC_CONFIG: configPath,
      LOG_LEVEL: 'warn',
      PGMEDIC_STATE_DATABASE_URL: stateUrl,
      PGMEDIC_APPROVERS: 'U0BENCHAPPROVER',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { bot, url: `http://127.0.0.1:${port}` };
}

async function waitReady(url: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the bot did not become ready');
}

async function runBatch(
  send: ReturnType<typeof slackSender>,
  standIn: SlackStandIn,
  count: number,
  inFlight: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const sent = performance.now();
      const reply = await send.command({ text: 'health --private', channel: 'CBENCH' });
      latencies.push(performance.now() - sent);
      if (reply.status !== 200 || !reply.ack?.text?.includes('Running'))
        throw new Error(`unexpected ack: ${reply.status} ${JSON.stringify(reply.ack)}`);
      await answered(standIn, reply.responseUrl);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return latencies;
}

async function answered(standIn: SlackStandIn, responseUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const entry = standIn.state.responseUrls.get(responseUrl.split('/').pop()!);
    const note = standIn.state.messages.find((m) => m.id === entry?.originalId);
    if (note?.history.length) {
      if (!note.text?.startsWith('Health:')) throw new Error(`unexpected answer: ${note.text}`);
      return;
    }
    if (Date.now() > deadline) throw new Error('a command never answered');
    await Promise.race([standIn.nextRequest(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  }
}

function printResults(warmUp: number[], latencies: number[], readyz: string): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  console.log(`warm-up acks (the first meets the 250 ms claim deadline): ${warmUp.map(ms).join(', ')}`);
  console.log(`/readyz while locked: ${readyz}`);
  console.log('| commands | in flight | p50 | p90 | p99 | max | all answered |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| ${latencies.length} | ${IN_FLIGHT} | ${ms(at(50))} | ${ms(at(90))} | ${ms(at(99))} | ${ms(sorted.at(-1)!)} | yes |`,
  );
  console.log(
    `budget p99 < 100 ms: ${at(99) < 100 ? 'met' : 'MISSED'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores`,
  );
}

await main();
