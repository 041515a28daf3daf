import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadSlackConfig } from '../../src/config/slack.js';
import { startLocalRun, withWorkspaceHealing } from '../../src/workspace/local.js';
import { targetSchema } from '../../src/config/schema.js';
import { createPolicy } from '../../src/heal/policy.js';
import { chooseStartMode, loadLocalSettings } from '../../src/config/start-mode.js';

describe('what npm start does', () => {
  it('connects to Slack when any Slack setting is present, databases or not', () => {
    expect(chooseStartMode({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' })).toBe('slack');
    expect(chooseStartMode({ SLACK_SIGNING_SECRET: 'secret-secret', DATABASE_URL: 'postgres://x/y' })).toBe('slack');
  });

  it('serves the local workspace against configured databases when Slack is not set up', () => {
    for (const key of ['DATABASE_URL', 'PGMEDIC_CONFIG', 'PGHOST', 'PGDATABASE', 'PGUSER'])
      expect(chooseStartMode({ [key]: 'x' })).toBe('workspace');
  });

  it('starts the embedded demo when nothing is configured (empty values count as unset)', () => {
    expect(chooseStartMode({})).toBe('demo');
    expect(chooseStartMode({ SLACK_BOT_TOKEN: '', DATABASE_URL: '' })).toBe('demo');
  });

  it('local settings: defaults, and one line per bad value', () => {
    expect(loadLocalSettings({})).toMatchObject({ port: 3000, host: '127.0.0.1', demoOrders: 1_000_000 });
    expect(loadLocalSettings({}).demoDir).toMatch(/\/\.pgdata\/pg18$/);
    expect(() => loadLocalSettings({ PGMEDIC_WORKSPACE_PORT: 'abc', PGMEDIC_DEMO_ORDERS: '5' })).toThrow(
      /PGMEDIC_WORKSPACE_PORT[\s\S]*PGMEDIC_DEMO_ORDERS/,
    );
  });
});

describe('where the local workspace listens, and whether it heals', () => {
  const lines: string[] = [];
  const say = (line: string) => void lines.push(line);

  it("127.0.0.1 by default, the Docker image included; the bot's own receiver on 127.0.0.1", async () => {
    expect(loadLocalSettings({}).host).toBe('127.0.0.1');
    expect(readFileSync('Dockerfile', 'utf8')).not.toMatch(/^\s*PGMEDIC_WORKSPACE_HOST=/m);
    const run = (await startLocalRun(
      { DATABASE_URL: 'postgres://u@127.0.0.1:1/db', PGMEDIC_WORKSPACE_PORT: '0' },
      say,
    ))!;
    try {
      expect(run.env.PGMEDIC_LISTEN_HOST).toBe('127.0.0.1');
      expect(loadSlackConfig(run.env).host).toBe('127.0.0.1');
      expect(lines.filter((l) => l.startsWith('warning'))).toEqual([]);
    } finally {
      await run.stop();
    }
  });

  it('another address only when set, with a warning line at start-up', async () => {
    lines.length = 0;
    const run = (await startLocalRun(
      { DATABASE_URL: 'postgres://u@127.0.0.1:1/db', PGMEDIC_WORKSPACE_PORT: '0', PGMEDIC_WORKSPACE_HOST: '0.0.0.0' },
      say,
    ))!;
    await run.stop();
    expect(lines).toEqual([
      expect.stringMatching(/^warning: the workspace listens on 0\.0\.0\.0, beyond this machine/),
    ]);
  });

  it('healing against your own databases is off unless PGMEDIC_WORKSPACE_HEALING=on', async () => {
    const off = (await startLocalRun(
      { DATABASE_URL: 'postgres://u@127.0.0.1:1/db', PGMEDIC_WORKSPACE_PORT: '0' },
      say,
    ))!;
    const on = (await startLocalRun(
      { DATABASE_URL: 'postgres://u@127.0.0.1:1/db', PGMEDIC_WORKSPACE_PORT: '0', PGMEDIC_WORKSPACE_HEALING: 'on' },
      say,
    ))!;
    await Promise.all([off.stop(), on.stop()]);
    expect([off.healing, on.healing]).toEqual([false, true]);
    // What main.ts builds the approval policy from: off means no target heals, whoever the page says they are.
    const config = {
      targets: [targetSchema.parse({ name: 'default', url: 'postgres://u@127.0.0.1:1/db' })],
      defaultTarget: 'default',
    };
    const policyOf = (healing: boolean) =>
      createPolicy({
        approvers: ['U0SAM'],
        healing: withWorkspaceHealing(config, healing).healing ?? {},
        targets: config.targets,
      });
    expect([policyOf(off.healing).enabledFor('default'), policyOf(on.healing).enabledFor('default')]).toEqual([
      false,
      true,
    ]);
    expect(() => loadLocalSettings({ PGMEDIC_WORKSPACE_HEALING: 'yes' })).toThrow(/PGMEDIC_WORKSPACE_HEALING/);
    expect(() => loadLocalSettings({ PGMEDIC_WORKSPACE_PUBLIC_HOST: 'http://evil/' })).toThrow(
      /PGMEDIC_WORKSPACE_PUBLIC_HOST/,
    );
  });
});
