import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { loadScheduleConfig } from '../../src/config/schedule.js';

const target = {
  name: 'prod',
  url: 'postgres://m@db/app',
  poolSize: 3,
  connectTimeoutMs: 5000,
  statementTimeoutMs: 5000,
  lockTimeoutMs: 500,
};

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgmedic-schedule-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'pgmedic.yml');
  writeFileSync(path, text);
  return path;
}

describe('schedule config', () => {
  it('makes a "daily" digest from PGMEDIC_DIGEST_CRON, _CHANNEL and _TZ, and alerts from PGMEDIC_ALERTS_CHANNEL', () => {
    const config = loadScheduleConfig(
      { targets: [target] },
      {
        PGMEDIC_DIGEST_CRON: '0 7 * * 1-5',
        PGMEDIC_DIGEST_CHANNEL: 'C0DIGEST',
        PGMEDIC_DIGEST_TZ: 'Europe/Paris',
        PGMEDIC_ALERTS_CHANNEL: '#db-alerts',
      },
    );
    expect(config.digests).toEqual([
      { name: 'daily', cron: '0 7 * * 1-5', timezone: 'Europe/Paris', channel: 'C0DIGEST', graceMinutes: 120 },
    ]);
    expect(config.alerts).toEqual({
      enabled: true,
      channel: '#db-alerts',
      intervalSeconds: 60,
      cooldownSeconds: 600,
      resolveAfterSeconds: 0,
      fireAt: 'warn',
      connectionsPerServer: 4,
    });
    expect(loadScheduleConfig({ targets: [target] }, {})).toEqual({
      digests: [],
      alerts: undefined,
      snapshots: { cron: '*/15 * * * *', retentionDays: 35 },
    });
  });

  it('reads digests and alerts from the YAML file', async () => {
    const path = writeConfig(`
targets:
  - name: prod
    url: postgres://m@db/app
digests:
  - name: morning
    cron: "30 6 * * *"
    timezone: America/New_York
    channel: C0MORNING
    sections: ["bloat --limit 3", "sequences"]
    graceMinutes: 30
alerts:
  channel: C0ALERTS
  intervalSeconds: 30
  fireAt: crit
`);
    const config = await loadConfig({ PGMEDIC_CONFIG: path });
    const schedule = loadScheduleConfig(config, {});
    expect(schedule.digests).toEqual([
      {
        name: 'morning',
        cron: '30 6 * * *',
        timezone: 'America/New_York',
        channel: 'C0MORNING',
        sections: ['bloat --limit 3', 'sequences'],
        graceMinutes: 30,
      },
    ]);
    expect(schedule.alerts).toMatchObject({
      channel: 'C0ALERTS',
      intervalSeconds: 30,
      fireAt: 'crit',
      cooldownSeconds: 600,
    });
  });

  it('says what is wrong, by key', async () => {
    expect(() => loadScheduleConfig({ targets: [target] }, { PGMEDIC_DIGEST_CRON: '0 7 * * *' })).toThrow(
      /set both PGMEDIC_DIGEST_CRON .* and PGMEDIC_DIGEST_CHANNEL/,
    );
    expect(() =>
      loadScheduleConfig({ targets: [target] }, { PGMEDIC_DIGEST_CRON: '0 99 * * *', PGMEDIC_DIGEST_CHANNEL: 'C0D' }),
    ).toThrow(/PGMEDIC_DIGEST_CRON: got "0 99 \* \* \*"; "0 99 \* \* \*" is not a valid cron expression/);
    expect(() =>
      loadScheduleConfig(
        { targets: [target] },
        { PGMEDIC_DIGEST_CRON: '0 7 * * *', PGMEDIC_DIGEST_CHANNEL: 'C0D', PGMEDIC_DIGEST_TZ: 'Nowhere/Land' },
      ),
    ).toThrow(/timezone: .*not a known time zone/);
    const unknownTarget = writeConfig(
      'targets: [{ name: prod, url: "postgres://m@db/app" }]\ndigests: [{ name: d, cron: "0 7 * * *", channel: C0D, targets: [staging] }]\n',
    );
    const withUnknownTarget = await loadConfig({ PGMEDIC_CONFIG: unknownTarget });
    expect(() => loadScheduleConfig(withUnknownTarget, {})).toThrow(
      'digests.d.targets: no target named "staging" (targets: prod).',
    );
    const typo = writeConfig(
      'targets: [{ name: prod, url: "postgres://m@db/app" }]\nalerts: { channel: C0A, intervalSecs: 5 }\n',
    );
    await expect(loadConfig({ PGMEDIC_CONFIG: typo })).rejects.toThrow(/alerts/);
  });
});
