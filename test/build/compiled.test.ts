import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;
let bot: ChildProcess;
let output = '';
let url: string;
/** The printed access token, as the cookie the page gets for it (the workspace refuses requests without it). */
let cookie: string;

const CONFIGURING_KEYS = /^(SLACK_|DATABASE_URL$|PGMEDIC_|PGHOST$|PGDATABASE$|PGUSER$|PGPASSWORD$|PGPORT$)/;

/** What `npm start` runs after its build (the test setup built dist/ from the current sources). */
beforeAll(async () => {
  server = await startTestServer(18);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !CONFIGURING_KEYS.test(key)));
  bot = spawn(process.execPath, ['--enable-source-maps', 'dist/src/main.js'], {
    env: { ...env, DATABASE_URL: server.url(), PGMEDIC_WORKSPACE_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bot.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  bot.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${output}`)), 60_000);
    bot.stdout!.on('data', () => {
      const match = /open (http:\/\/localhost:(\d+))\/\?token=([\w-]+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      cookie = `pgmedic_workspace_${match[2]}=${match[3]}`;
      resolve(match[1]!);
    });
    bot.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    bot.once('exit', () => clearTimeout(timer));
  });
}, 90_000);
afterAll(async () => {
  if (bot?.exitCode === null) {
    bot.kill('SIGTERM');
    await new Promise((resolve) => bot.once('exit', resolve));
  }
  await server?.stop();
});

describe('the compiled bot (npm start, the image)', () => {
  it('runs JavaScript from dist/ and serves the workspace page, its static files and /healthz', async () => {
    const page = await fetch(`${url}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toBe(readFileSync('src/workspace/page/index.html', 'utf8'));
    for (const file of ['workspace.js', 'blockkit.js', 'workspace.css']) {
      const asset = await fetch(`${url}/${file}`, { headers: { cookie } });
      expect({ file, status: asset.status }).toEqual({ file, status: 200 });
      expect(await asset.text()).toBe(readFileSync(`src/workspace/page/${file}`, 'utf8'));
    }
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
  });

  it('stops on SIGTERM with exit code 0', async () => {
    bot.kill('SIGTERM');
    const code = await new Promise((resolve) => bot.once('exit', resolve));
    expect({ code, output }).toEqual({ code: 0, output: expect.not.stringContaining('Something went wrong') });
  });
});
