import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { planCli } from '../../src/cli/plan.js';
import { AppError } from '../../src/errors.js';
import { parseSlashText } from '../../src/slack/parse.js';

const context = { targetNames: ['prod', 'staging'], defaultTarget: 'prod' };

function slash(text: string): { target: string; statement: unknown } {
  const request = parseSlashText(text, context);
  if (request.kind !== 'run') throw new Error(`not a run: ${request.kind}`);
  return { target: request.target, statement: request.options.statement };
}

function refused(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return `${error.code}: ${error.message} ${error.hint}`;
    throw error;
  }
  throw new Error('accepted');
}

describe('a free-text positional (explain <queryid | SQL>)', () => {
  it('takes every word of /pg explain after the command, -- comments included, joined by single spaces', () => {
    expect(slash('explain SELECT *\n  FROM orders\tWHERE id = 1 -- one')).toEqual({
      target: 'prod',
      statement: 'SELECT * FROM orders WHERE id = 1 -- one',
    });
    // the last word of a statement stays SQL even when it names a target
    expect(slash('explain SELECT * FROM staging')).toEqual({ target: 'prod', statement: 'SELECT * FROM staging' });
  });

  it('takes the target first, after a queryid, or as --target', () => {
    expect(slash('explain staging SELECT 1')).toEqual({ target: 'staging', statement: 'SELECT 1' });
    expect(slash('explain -6453281719937373214 staging')).toEqual({
      target: 'staging',
      statement: '-6453281719937373214',
    });
    expect(slash('explain --target staging 1234')).toEqual({ target: 'staging', statement: '1234' });
  });

  it('keeps the command line argument as typed, line breaks included, and refuses other control characters and length', () => {
    const plan = planCli(parseCliArgs(['explain', 'SELECT *\nFROM orders', '--format', 'json']), ['prod']);
    expect(plan.kind === 'run' && plan.options.statement).toBe('SELECT *\nFROM orders');
    expect(refused(() => planCli(parseCliArgs(['explain', 'SELECT 1\u0000; DROP TABLE x']), ['prod']))).toBe(
      'bad_option: --statement "SELECT 1\\u0000; DROP TABLE x" is not valid for `explain`: use no control characters other than tabs and line breaks. For example `--statement value`.',
    );
    expect(refused(() => parseSlashText(`explain SELECT ${'x'.repeat(10_000)}`, context))).toMatch(
      /^bad_option: --statement "SELECT x+… is not valid for `explain`: use at most 10000 characters\./,
    );
  });
});
