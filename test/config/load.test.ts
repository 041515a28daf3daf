import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { resolveThresholds } from '../../src/config/thresholds.js';
import { createTargets } from '../../src/db/targets.js';

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgmedic-config-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'pgmedic.yml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('makes one "default" target from DATABASE_URL with the documented defaults', async () => {
    const config = await loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app' });
    expect(config.defaultTarget).toBe('default');
    expect(config.targets).toEqual([
      {
        name: 'default',
        url: 'postgres://u@db:5432/app',
        poolSize: 3,
        connectTimeoutMs: 5000,
        statementTimeoutMs: 5000,
        lockTimeoutMs: 500,
      },
    ]);
  });

  it('leaves libpq variables to node-postgres (an empty postgres:// URL), as psql reads them', async () => {
    const config = await loadConfig({
      PGHOST: '/var/run/postgresql',
      PGUSER: 'mon',
      PGPASSWORD: 'p@ss',
      PGDATABASE: 'app',
    });
    expect(config.targets[0]!.url).toBe('postgres://');
  });

  it('reads many targets from YAML with ${ENV} references and per-target settings', async () => {
    const path = writeConfig(`
targets:
  - name: prod
    url: postgres://monitor:\${PROD_PASSWORD}@prod-db/app
    statementTimeoutMs: 3000
    thresholds:
      connectionsUsedPct: { warn: 70 }
  - name: staging
    url: postgres://monitor@staging-db/app
defaultTarget: staging
`);
    const config = await loadConfig({ PGMEDIC_CONFIG: path, PROD_PASSWORD: 's3cret' });
    expect(config.targets.map((t) => t.name)).toEqual(['prod', 'staging']);
    expect(config.targets[0]!.url).toBe('postgres://monitor:s3cret@prod-db/app');
    expect(config.targets[0]!.statementTimeoutMs).toBe(3000);
    expect(config.defaultTarget).toBe('staging');
    expect(resolveThresholds(config.targets[0]!.thresholds).connectionsUsedPct).toEqual({ warn: 70, crit: 90 });
  });

  it('reports an invalid file by key, value and what is allowed, hiding secrets', async () => {
    const path = writeConfig(`
targets:
  - name: Prod DB
    url: mysql://root:hunter2@db/app
    poolSize: 0
`);
    await expect(loadConfig({ PGMEDIC_CONFIG: path })).rejects.toThrow(
      [
        `${path}: targets.0.name: got "Prod DB"; use lowercase letters, digits, "-" and "_" (for example "prod" or "eu-replica")`,
        `${path}: targets.0.url: got "mysql://***@db/app"; a postgres:// connection URL`,
        `${path}: targets.0.poolSize: got 0; Too small: expected number to be >=1`,
      ].join('\n'),
    );
  });

  it('names a missing environment variable and a duplicate target', async () => {
    const missing = writeConfig('targets:\n  - name: prod\n    url: postgres://u:${NOPE}@h/db\n');
    await expect(loadConfig({ PGMEDIC_CONFIG: missing })).rejects.toThrow(
      'refers to ${NOPE}, but the environment variable NOPE is not set.',
    );
    const twice = writeConfig(
      'targets:\n  - { name: prod, url: "postgres://h/a" }\n  - { name: prod, url: "postgres://h/b" }\n',
    );
    await expect(loadConfig({ PGMEDIC_CONFIG: twice })).rejects.toThrow('the name "prod" is used twice');
  });

  it('suggests the closest target for a typo', async () => {
    const targets = createTargets(
      await loadConfig({
        PGMEDIC_CONFIG: writeConfig(
          'targets:\n  - { name: prod, url: "postgres://h/a" }\n  - { name: staging, url: "postgres://h/b" }\n',
        ),
      }),
    );
    expect(() => targets.get('prd')).toThrow('There is no target named "prd".');
    try {
      targets.get('prd');
    } catch (error) {
      expect((error as { hint: string }).hint).toBe('Did you mean `prod`?');
    }
    await targets.closeAll();
  });
});
