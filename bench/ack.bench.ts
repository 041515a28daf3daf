/**
 * Ack latency of /pg while the target is stalled: time from sending a signed slash command to receiving the
 * HTTP ack, over 200 commands with 20 in flight (a command is in flight until its final answer reaches the
 * response_url). Every command is stuck on a lock: a session holds ACCESS EXCLUSIVE on pg_extension, which
 * the capability probe reads, so each command waits its full lock_timeout. Budget (issue 14): p99 ≤ 50 ms.
 *
 * Run: npm run bench:ack   (starts PostgreSQL 18, the Slack stand-in, the bot as a child process and the measuring
 * client, bench/ack-client.ts, as another; three measured batches, written to bench/ACK-RESULTS.md with the load
 * average beside each). The client has a process of its own so that its clock is not held up by the stand-in's
 * work (receiving the bot's answers) on a shared event loop.
 * Knobs for investigation: BENCH_IN_FLIGHT=n, BENCH_STALL=0 (no lock), BENCH_NODE_ARGS="--cpu-prof ..." for the bot.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/embedded/cluster.js';
import { connect } from '../test/support/clients.js';
import { startTestServer } from '../test/support/pg.js';
import { startSlackStandIn, type SlackStandIn } from '../test/support/slack/standin.js';
import type { FromClient, ToClient } from './ack-client.js';
import { writeResults } from './results-file.js';

const COMMANDS = 200;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 20);
const WARM_UP = 20;
const BATCHES = 3;
const LOCK_TIMEOUT_MS = 2_000;
const SECRET = 'bench-signing-secret-0123456789';
const NOTES = '## Notes';

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
  const client = fork(fileURLToPath(new URL('./ack-client.ts', import.meta.url)), [url, SECRET], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await runBatch(client, standIn, 0, WARM_UP);
    const rows: string[] = [];
    for (let batch = 1; batch <= BATCHES; batch++) {
      const started = process.hrtime.bigint();
      const [botBefore, clientBefore, standInBefore] = [cpuMs(bot.pid!), cpuMs(client.pid!), process.cpuUsage()];
      const botWaitBefore = runQueueWaitMs(bot.pid!);
      const latencies = await runBatch(client, standIn, batch, COMMANDS);
      const standInCpu = process.cpuUsage(standInBefore);
      const cpu = {
        bot: (cpuMs(bot.pid!) - botBefore) / COMMANDS,
        client: (cpuMs(client.pid!) - clientBefore) / COMMANDS,
        botWait: (runQueueWaitMs(bot.pid!) - botWaitBefore) / COMMANDS,
        standIn: (standInCpu.user + standInCpu.system) / 1000 / COMMANDS,
      };
      rows.push(resultRow(batch, latencies, Number(process.hrtime.bigint() - started) / 1e9, cpu));
      console.log(rows.at(-1));
    }
    const answers = standIn.state.messages.filter((m) => m.via === 'ack' && m.history.length).map((m) => m.text ?? '');
    const lockTimeouts = answers.filter((text) => text.includes('lock timeout')).length;
    writeResults(
      'ACK-RESULTS.md',
      [
        '# Ack latency while the target is stalled',
        '',
        `\`npm run bench:ack\` (bench/ack.bench.ts), ${new Date().toISOString().slice(0, 16)}Z: PostgreSQL 18 (embedded), the Slack stand-in in the bench process, the bot (\`src/main.ts\`, HTTP mode) and the measuring client (\`bench/ack-client.ts\`) each in a child process of its own. Time (process.hrtime, in the client) from sending a signed \`/pg locks\` to its HTTP ack, ${COMMANDS} commands per batch with ${IN_FLIGHT} in flight (in flight until the final answer reaches the response_url), after ${WARM_UP} warm-up commands. A session holds ACCESS EXCLUSIVE on pg_catalog.pg_extension, which the capability probe reads, so every command waits its full lock_timeout (${LOCK_TIMEOUT_MS} ms). State database: ${withState ? 'yes' : 'no'}. Budget (issue 14): p99 ≤ 50 ms.`,
        '',
        `Machine: ${availableParallelism()} cores, node ${process.version}; the server, the stand-in, the client and the bot share them, with other sessions' work: the load average is given per batch.`,
        '',
        '| batch | p50 | p90 | p99 | max | wall | bot CPU per command | bot waiting for a CPU per command | client CPU per command | stand-in CPU per command | load (1/5/15 min) | p99 ≤ 50 ms |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        ...rows,
        '',
        `Answers that were the lock-timeout message: ${lockTimeouts} of ${answers.length} (warm-up included).`,
        '',
        handWrittenNotes(),
      ].join('\n'),
    );
  } finally {
    client.kill('SIGTERM');
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

/**
 * One batch, measured by the client process: the parent makes the response URLs and, for each ack the client
 * reports, records it with the stand-in and tells the client once the command's answer reached its response_url.
 */
function runBatch(client: ChildProcess, standIn: SlackStandIn, batch: number, count: number): Promise<number[]> {
  const responseUrls = Array.from({ length: count }, () => standIn.newResponseUrl('CBENCH', 'UALICE'));
  return new Promise((resolve, reject) => {
    const answers = watchAnswers(
      standIn,
      (responseUrl) => client.send({ type: 'answered', responseUrl } satisfies ToClient),
      (error) => done(() => reject(error)),
    );
    const onMessage = (message: FromClient) => {
      if (message.type === 'ack') {
        standIn.recordAck(message.responseUrl, message.ack);
        answers.watch(message.responseUrl);
      } else if (message.type === 'done' && message.batch === batch) done(() => resolve(message.latencies));
      else if (message.type === 'failed')
        done(() => reject(new Error(`the measuring client failed: ${message.message}`)));
    };
    const onExit = () => done(() => reject(new Error('the measuring client exited')));
    const done = (settle: () => void) => {
      answers.stop();
      client.off('message', onMessage).off('exit', onExit);
      settle();
    };
    client.on('message', onMessage).once('exit', onExit);
    client.send({ type: 'run', batch, inFlight: IN_FLIGHT, responseUrls } satisfies ToClient);
  });
}

/**
 * Reports each watched command once its note was replaced or deleted (its answer reached the response_url).
 * One check of all of them per request the stand-in handles, so the bench's own loop stays light.
 */
function watchAnswers(standIn: SlackStandIn, onAnswered: (responseUrl: string) => void, onStuck: (e: Error) => void) {
  type Note = SlackStandIn['state']['messages'][number];
  const pending = new Map<string, { note: Note | undefined; deadline: number }>();
  const check = () => {
    for (const [responseUrl, { note, deadline }] of pending) {
      if (note && (note.history.length || note.deleted)) {
        pending.delete(responseUrl);
        onAnswered(responseUrl);
      } else if (Date.now() > deadline) {
        pending.delete(responseUrl);
        onStuck(new Error('a command never answered'));
      }
    }
  };
  let watching = true;
  void (async () => {
    while (watching) {
      await standIn.nextRequest();
      check();
    }
  })();
  const timer = setInterval(check, 1_000);
  return {
    watch(responseUrl: string) {
      const entry = standIn.state.responseUrls.get(responseUrl.split('/').pop()!);
      const note = standIn.state.messages.find((m) => m.id === entry?.originalId);
      pending.set(responseUrl, { note, deadline: Date.now() + 60_000 });
      check();
    },
    stop() {
      watching = false;
      clearInterval(timer);
    },
  };
}

/** The analysis written by hand below the figures (from its NOTES heading on), kept when the figures are rewritten. */
function handWrittenNotes(): string {
  const path = fileURLToPath(new URL('./ACK-RESULTS.md', import.meta.url));
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const at = text.indexOf(NOTES);
  return at === -1 ? '' : text.slice(at);
}

/**
 * How long the bot's main thread (its event loop) has been runnable but waiting for a CPU, from the scheduler's
 * own count (/proc/<pid>/schedstat, Linux): time in which no request could be answered, however little it costs.
 */
function runQueueWaitMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
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
  cpu: { bot: number; client: number; standIn: number; botWait: number },
): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `| ${batch} | ${ms(at(50))} | ${ms(at(90))} | ${ms(at(99))} | ${ms(sorted.at(-1)!)} | ${wallSeconds.toFixed(1)} s | ${cpu.bot.toFixed(1)} ms | ${cpu.botWait.toFixed(1)} ms | ${cpu.client.toFixed(1)} ms | ${cpu.standIn.toFixed(1)} ms | ${load} | ${at(99) <= 50 ? 'met' : '**missed**'} |`;
}

await main();
