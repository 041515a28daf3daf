import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/embedded/cluster.js';
import { slackSender } from './slack/requests.js';
import type { SlackStandIn } from './slack/standin.js';

export const PROCESS_SIGNING_SECRET = 'process-signing-secret-0123456789';

/** The bot as a real process (`src/main.ts` under tsx), HTTP mode, talking to the stand-in: signals are real. */
export interface BotProcess {
  url: string;
  child: ChildProcess;
  send: ReturnType<typeof slackSender>;
  /** Every JSON log line it wrote so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startBotProcess(standIn: SlackStandIn, env: Record<string, string>): Promise<BotProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: standIn.botToken,
      SLACK_SIGNING_SECRET: PROCESS_SIGNING_SECRET,
      SLACK_API_URL: standIn.apiUrl,
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) logs.push(parseLine(line));
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (attempt > 400 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the bot process did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, child, send: slackSender(url, PROCESS_SIGNING_SECRET, standIn), logs, exited };
}

function parseLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { msg: line };
  }
}
