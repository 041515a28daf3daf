import { createServer, type Server, type Socket } from 'node:net';
import type pg from 'pg';
import { targetSchema, type Config, type TargetConfig } from '../../src/config/schema.js';
import { createTargets, type Targets } from '../../src/db/targets.js';
import { freePort } from '../../src/embedded/cluster.js';
import type { OutgoingMessage, Poster, ScheduleLog } from '../../src/schedule/poster.js';

/** Everything a poster was asked to do, in order, by which copy of the bot. */
export interface Recorded {
  op: 'post' | 'update';
  instance: string;
  channel: string;
  ts: string;
  message: OutgoingMessage;
}

/** A fake Slack shared by several bot copies: numbered message timestamps, every call recorded. */
export function recordingSlack() {
  const calls: Recorded[] = [];
  let next = 1;
  return {
    calls,
    posterFor(instance: string): Poster {
      return {
        async post(channel, message) {
          const ts = `1700000000.${String(next++).padStart(6, '0')}`;
          calls.push({ op: 'post', instance, channel, ts, message });
          return { ts };
        },
        async update(channel, ts, message) {
          calls.push({ op: 'update', instance, channel, ts, message });
        },
      };
    },
    posts: () => calls.filter((c) => c.op === 'post'),
    updates: () => calls.filter((c) => c.op === 'update'),
  };
}

export function recordingLog(): ScheduleLog & {
  lines: { level: string; fields: Record<string, unknown>; message: string }[];
} {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    void lines.push({ level, fields, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A TCP port that accepts connections and never says a word (a hung host or a black-holing proxy). */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: connections are refused at once. */
export async function refusedUrl(): Promise<string> {
  return `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
}

export function targetsOf(list: (Partial<TargetConfig> & { name: string; url: string })[]): Targets {
  const config: Config = { targets: list.map((t) => targetSchema.parse(t)), defaultTarget: list[0]?.name };
  return createTargets(config);
}

export async function createDatabases(admin: pg.Client, names: string[]): Promise<void> {
  for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
}
