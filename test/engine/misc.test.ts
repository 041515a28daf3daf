import { describe, expect, it } from 'vitest';
import { closestMatch, suggestion } from '../../src/errors.js';
import { pickSql, tagSql } from '../../src/db/sql.js';
import { toAppError } from '../../src/db/sqlstate.js';
import { formatBytes, formatDuration, truncate } from '../../src/report/format.js';
import { worstStatus } from '../../src/report/model.js';

describe('pickSql', () => {
  const sql = { 140000: 'old', 170000: 'new' };
  it('takes the closest lower minimum version', () => {
    expect(pickSql(sql, 140010)).toBe('old');
    expect(pickSql(sql, 160004)).toBe('old');
    expect(pickSql(sql, 170000)).toBe('new');
    expect(pickSql(sql, 180004)).toBe('new');
    expect(pickSql('plain', 90000)).toBe('plain');
  });
  it('refuses a server older than every variant', () => {
    expect(() => pickSql(sql, 130000)).toThrow(/no SQL variant for server_version_num 130000/);
  });
  it('tags statements', () => {
    expect(tagSql('locks', 'SELECT 1 -- one')).toBe('/* pgmedic:locks */ SELECT 1 -- one\n/* pgmedic:locks */');
  });
});

describe('closestMatch', () => {
  it('suggests near names and nothing for unrelated ones', () => {
    expect(closestMatch('lcks', ['locks', 'bloat'])).toBe('locks');
    expect(closestMatch('blo', ['locks', 'bloat'])).toBe('bloat');
    expect(closestMatch('zzzzzz', ['locks', 'bloat'])).toBeUndefined();
    expect(suggestion('zzzzzz', ['prod', 'staging'])).toBe('Valid choices: `prod`, `staging`.');
  });
});

describe('toAppError', () => {
  const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });
  it('maps SQLSTATEs to coded errors with advice', () => {
    expect(toAppError(pgError('57014'), { target: 'prod' }).code).toBe('timeout');
    expect(toAppError(pgError('55P03'), { target: 'prod' }).code).toBe('lock_timeout');
    expect(toAppError(pgError('42501'), { target: 'prod' }).hint).toMatch(/pg_monitor/);
    expect(toAppError(pgError('ECONNREFUSED'), { target: 'prod' }).code).toBe('target_unreachable');
    expect(toAppError(new Error('timeout expired'), { target: 'prod' }).code).toBe('target_unreachable');
    expect(toAppError(pgError('22012', 'division by zero'), { target: 'prod' }).message).toBe(
      'PostgreSQL error 22012 on target "prod": division by zero.',
    );
  });
});

describe('format', () => {
  it('formats bytes, durations and text for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.50 kB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.00 GB');
    expect(formatDuration(0.25)).toBe('250ms');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(3725)).toBe('1h 2m');
    expect(formatDuration(200_000)).toBe('2d 7h');
    // A zero part is dropped; rounding never shows 60 of a unit.
    for (const [seconds, shown] of [
      [60, '1m'],
      [65, '1m 5s'],
      [7_200, '2h'],
      [3_900, '1h 5m'],
      [172_800, '2d'],
      [59.6, '1m'],
      [119.7, '2m'],
      [0.9996, '1s'],
      [-60, '-1m'],
    ] as const)
      expect(formatDuration(seconds), String(seconds)).toBe(shown);
    expect(truncate('select   *\n from t', 9)).toBe('select *…');
    expect(worstStatus('ok', 'crit', 'warn')).toBe('crit');
  });
});
