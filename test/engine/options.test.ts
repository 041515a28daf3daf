import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../../src/engine/command.js';
import { describeOptions, parseOptions } from '../../src/engine/options.js';
import { durationOption, parseDuration, parseSize, sizeOption } from '../../src/engine/units.js';
import { AppError } from '../../src/errors.js';

const sample = defineCommand({
  name: 'sample',
  summary: 'for tests',
  kind: 'diagnostic',
  options: z.object({
    minSize: sizeOption('100MB', 'Size floor'),
    minAge: durationOption('5min', 'Age floor'),
    exact: z.boolean().default(false).describe('Confirm exactly'),
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Rows'),
    sort: z.enum(['total', 'mean', 'calls']).default('total').describe('Order'),
    database: z.string().optional().describe('Database'),
  }),
  positionals: ['database'],
  sql: {},
  collect: async () => ({}),
  report: () => ({ title: '', status: 'ok', summary: '', sections: [], actions: [], footnotes: [] }),
});

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('parseOptions', () => {
  it('applies every default', () => {
    expect(parseOptions(sample, [])).toEqual({
      minSize: 100 * 1024 ** 2,
      minAge: 300,
      exact: false,
      limit: 20,
      sort: 'total',
    });
  });

  it('reads flags with values, inline values, booleans, negations and positionals', () => {
    expect(
      parseOptions(sample, [
        'app',
        '--min-size',
        '1.5GB',
        '--limit=5',
        '--exact',
        '--sort',
        'mean',
        '--min-age',
        '90s',
      ]),
    ).toEqual({
      minSize: 1.5 * 1024 ** 3,
      minAge: 90,
      exact: true,
      limit: 5,
      sort: 'mean',
      database: 'app',
    });
    expect(parseOptions(sample, ['--no-exact']).exact).toBe(false);
    expect(parseOptions(sample, ['--exact=off']).exact).toBe(false);
    expect(parseOptions(sample, ['--no-exact=yes']).exact).toBe(false);
    expect(errorOf(() => parseOptions(sample, ['--exact', '--no-exact'])).message).toBe(
      '--exact is given more than once.',
    );
  });

  it('names the closest option for a typo', () => {
    const error = errorOf(() => parseOptions(sample, ['--limt', '3']));
    expect(error.code).toBe('bad_option');
    expect(error.message).toBe('`sample` has no option --limt.');
    expect(error.hint).toBe('Did you mean `--limit`?');
  });

  it('explains a bad value with an example of a good one', () => {
    const size = errorOf(() => parseOptions(sample, ['--min-size', 'huge']));
    expect(size.message).toContain('"huge" is not a size; use digits with a unit, such as 500MB or 2GB');
    const sort = errorOf(() => parseOptions(sample, ['--sort', 'fastest']));
    expect(sort.message).toContain('Choose one of: total, mean, calls.');
    expect(sort.hint).toBe('For example `--sort total`.');
    const limit = errorOf(() => parseOptions(sample, ['--limit', '0']));
    expect(limit.message).toMatch(/--limit "0" is not valid/);
  });

  it('refuses a missing value and an extra word', () => {
    expect(errorOf(() => parseOptions(sample, ['--limit'])).message).toBe('--limit needs a value.');
    expect(errorOf(() => parseOptions(sample, ['app', 'other'])).code).toBe('bad_input');
  });

  it('describes options for help', () => {
    expect(describeOptions(sample.options).map((o) => [o.flag, o.type, o.defaultValue])).toEqual([
      ['--min-size', 'string', '100MB'],
      ['--min-age', 'string', '5min'],
      ['--exact', 'boolean', false],
      ['--limit', 'number', 20],
      ['--sort', 'enum', 'total'],
      ['--database', 'string', undefined],
    ]);
  });
});

describe('units', () => {
  it('parses PostgreSQL-style sizes and durations', () => {
    expect(parseSize('100MB')).toBe(104857600);
    expect(parseSize('512kB')).toBe(524288);
    expect(parseSize('2 gb')).toBe(2 * 1024 ** 3);
    expect(parseSize('0')).toBe(0);
    expect(parseSize('12 parsecs')).toBeUndefined();
    expect(parseDuration('250ms')).toBe(0.25);
    expect(parseDuration('5min')).toBe(300);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
