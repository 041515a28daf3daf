/**
 * Ack latency of /pg while the target is stalled: time from sending a signed slash command to receiving the
 * HTTP ack, over 200 commands with 20 in flight (a command is in flight until its final answer reaches the
 * response_url). Every command is stuck on a lock: a session holds ACCESS EXCLUSIVE on pg_extension, which
 * the capability probe reads, so each command waits its full lock_timeout. Budget (issue 14): p99 ≤ 50 ms.
 *
 * Run: npm run bench:ack   (starts PostgreSQL 18, the Slack stand-in, and the bot as a child process; three
 * measured batches, written to bench/ACK-RESULTS.md with the load average beside each)
 * Knobs for investigation: BENCH_IN_FLIGHT=n, BENCH_STALL=0 (no lock), BENCH_NODE_ARGS="--cpu-prof ..." for the bot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/embedded/cluster.js';
import { connect } from '../test/support/clients.js';
import { startTestServer } from '../test/support/pg.js';
import { slackSender } from '../test/support/slack/requests.js';
import { startSlackStandIn, type SlackStandIn } from '../test/support/slack/standin.js';
import { writeResults } from './results-file.js';

const COMMANDS = 200;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 20);
const WARM_UP = 20;
const BATCHES = 3;
const LOCK_TIMEOUT_MS = 2_000;
const SECRET = 'bench-signing-secret-0123456789';

async function main(): Promise<void> {
  const server = await startTestServer(18);
  const standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CBENCH');
  const staller = await connect(server.url(), 'bench-staller');
  // With a state database (the default, as two copies of the bot run) the ack path also dedupes through it.
  const withState = process.env.BENCH_STATE_DB !== '0';
  if (withState) await staller.query('CREATE DATABASE bench_state');
  await staller.query('BEGIN');
  if (process.env.BENCH_STALL !== '0')
    await staller.query('LOCK TABLE pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE');
  const { bot, url, dir } = await startBot(server.url(), withState ? server.url('bench_state') : undefined, standIn);
  console.log(
    `state database: ${withState ? 'yes (first deliveries claimed through it after the ack, retries before it)' : 'no'}`,
  );
  try {
    const send = slackSender(url, SECRET, standIn);
    await runBatch(send, standIn, WARM_UP);
    const rows: string[] = [];
    for (let batch = 1; batch <= BATCHES; batch++) {
      const started = performance.now();
      const [botCpuBefore, benchCpuBefore] = [cpuMs(bot.pid!), process.cpuUsage()];
      const latencies = await runBatch(send, standIn, COMMANDS);
      const benchCpu = process.cpuUsage(benchCpuBefore);
      const cpu = {
        bot: (cpuMs(bot.pid!) - botCpuBefore) / COMMANDS,
        bench: (benchCpu.user + benchCpu.system) / 1000 / COMMANDS,
      };
      rows.push(resultRow(batch, latencies, (performance.now() - started) / 1000, cpu));
      console.log(rows.at(-1));
    }
    const answers = standIn.state.messages.filter((m) => m.via === 'ack' && m.history.length).map((m) => m.text ?? '');
    const lockTimeouts = answers.filter((text) => text.includes('lock timeout')).length;
    writeResults(
      'ACK-RESULTS.md',
      [
        '# Ack latency while the target is stalled',
        '',
        `\`npm run bench:ack\` (bench/ack.bench.ts), ${new Date().toISOString().slice(0, 16)}Z: PostgreSQL 18 (embedded), the Slack stand-in and the bot (\`src/main.ts\`, HTTP mode) as a child process. Time from sending a signed \`/pg locks\` to its HTTP ack, ${COMMANDS} commands per batch with ${IN_FLIGHT} in flight (in flight until the final answer reaches the response_url), after ${WARM_UP} warm-up commands. A session holds ACCESS EXCLUSIVE on pg_catalog.pg_extension, which the capability probe reads, so every command waits its full lock_timeout (${LOCK_TIMEOUT_MS} ms). State database: ${withState ? 'yes' : 'no'}. Budget (issue 14): p99 ≤ 50 ms.`,
        '',
        `Machine: ${availableParallelism()} cores, node ${process.version}; the server, the stand-in, the bench and the bot share them, with other sessions' work: the load average is given per batch.`,
        '',
        '| batch | p50 | p90 | p99 | max | wall | bot CPU per command | bench + stand-in CPU per command | load (1/5/15 min) | p99 ≤ 50 ms |',
        '|---|---|---|---|---|---|---|---|---|---|',
        ...rows,
        '',
        `Answers that were the lock-timeout message: ${lockTimeouts} of ${answers.length} (warm-up included).`,
        '',
      ].join('\n'),
    );
  } finally {
    bot.kill('SIGTERM');
    await new Promise((resolve) => bot.once('exit', resolve));
    await staller.end();
    await standIn.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startBot(
  databaseUrl: string,
  stateUrl: string | undefined,
  standIn: SlackStandIn,
): Promise<{ bot: ChildProcess; url: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pgmedic-ack-bench-'));
  const configPath = join(dir, 'pgmedic.yml');
  writeFileSync(
    configPath,
    `targets:\n  - name: stalled\n    url: ${databaseUrl}\n    poolSize: ${IN_FLIGHT}\n    lockTimeoutMs: ${LOCK_TIMEOUT_MS}\n`,
  );
  const port = await freePort();
  const bot = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), '--import', 'tsx', 'src/main.ts'],
    {
      env: {
        PATH: process.env.PATH,
        SLACK_MODE: 'http',
        SLACK_BOT_TOKEN: standIn.botToken,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: standIn.apiUrl,
        PORT: String(port),
        PGMEDIC_CONFIG: configPath,
        LOG_LEVEL: 'info',
        ...(stateUrl ? { PGMEDIC_STATE_DATABASE_URL: stateUrl, PGMEDIC_APPROVERS: 'U0BENCHAPPROVER' } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { bot, url, dir };
    if (attempt > 200 || bot.exitCode !== null) throw new Error('the bot did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Keeps IN_FLIGHT commands outstanding; returns each command's ack latency in ms. */
async function runBatch(send: ReturnType<typeof slackSender>, standIn: SlackStandIn, count: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const sent = performance.now();
      const reply = await send.command({ text: 'locks', channel: 'CBENCH' });
      latencies.push(performance.now() - sent);
      if (reply.status !== 200 || !reply.ack?.text?.includes('Running'))
        throw new Error(`unexpected ack: ${reply.status} ${JSON.stringify(reply.ack)}`);
      await answered(standIn, reply.responseUrl);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return latencies;
}

async function answered(standIn: SlackStandIn, responseUrl: string): Promise<void> {
  const entry = standIn.state.responseUrls.get(responseUrl.split('/').pop()!);
  const note = standIn.state.messages.find((m) => m.id === entry?.originalId);
  const deadline = Date.now() + 60_000;
  while (!note || (!note.history.length && !note.deleted)) {
    if (Date.now() > deadline) throw new Error('a command never answered');
    await Promise.race([standIn.nextRequest(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  }
}

/** User + system CPU time of a process so far, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function resultRow(
  batch: number,
  latencies: number[],
  wallSeconds: number,
  cpu: { bot: number; bench: number },
): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `| ${batch} | ${ms(at(50))} | ${ms(at(90))} | ${ms(at(99))} | ${ms(sorted.at(-1)!)} | ${wallSeconds.toFixed(1)} s | ${cpu.bot.toFixed(1)} ms | ${cpu.bench.toFixed(1)} ms | ${load} | ${at(99) <= 50 ? 'met' : '**missed**'} |`;
}

await main();
