import { describe, expect, it } from 'vitest';
import { chooseStartMode, loadLocalSettings } from '../../src/config/start-mode.js';

describe('what npm start does', () => {
  it('connects to Slack when any Slack setting is present, databases or not', () => {
    expect(chooseStartMode({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' })).toBe('slack');
    expect(chooseStartMode({ SLACK_SIGNING_SECRET: 'secret-secret', DATABASE_URL: 'postgres://x/y' })).toBe('slack');
  });

  it('serves the local workspace against configured databases when Slack is not set up', () => {
    for (const key of ['DATABASE_URL', 'PGMEDIC_CONFIG', 'PGHOST', 'PGDATABASE', 'PGUSER']) expect(chooseStartMode({ [key]: 'x' })).toBe('workspace');
  });

  it('starts the embedded demo when nothing is configured (empty values count as unset)', () => {
    expect(chooseStartMode({})).toBe('demo');
    expect(chooseStartMode({ SLACK_BOT_TOKEN: '', DATABASE_URL: '' })).toBe('demo');
  });

  it('local settings: defaults, and one line per bad value', () => {
    expect(loadLocalSettings({})).toMatchObject({ port: 3000, host: '127.0.0.1', demoOrders: 1_000_000 });
    expect(loadLocalSettings({}).demoDir).toMatch(/\/\.pgdata\/pg18$/);
    expect(() => loadLocalSettings({ PGMEDIC_WORKSPACE_PORT: 'abc', PGMEDIC_DEMO_ORDERS: '5' })).toThrow(/PGMEDIC_WORKSPACE_PORT[\s\S]*PGMEDIC_DEMO_ORDERS/);
  });
});
