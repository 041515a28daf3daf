import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { planCli } from '../../src/cli/plan.js';
import type { AnyCommand } from '../../src/engine/command.js';
import { describeOptions } from '../../src/engine/options.js';
import { listCommands } from '../../src/engine/registry.js';
import { AppError } from '../../src/errors.js';
import { parseSlashText } from '../../src/slack/parse.js';

/**
 * Generated hostile input to the two text surfaces, `/pg …` and the command line: a seeded generator (the same
 * 12,000 inputs every run) mixes every command and option with numbers in every foreign notation, huge and
 * negative values, control characters, quotes, SQL, unicode digits, very long strings, unknown and repeated
 * flags. Each input must either be refused with a coded user error that says what to type instead, or be
 * accepted with every option value inside the bounds its option declares.
 */

const SEED = 0x9e3779b9;
const PER_SURFACE = 6_000;
const USER_ERRORS = new Set(['bad_option', 'bad_input', 'unknown_command', 'unknown_target']);
const TARGETS = ['prod', 'staging'];

/** mulberry32: small, fast, deterministic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_VALUES = [
  '0',
  '1',
  '5',
  '20',
  '100',
  '101',
  '200',
  '201',
  '500',
  '501',
  '007',
  '-1',
  '-0',
  '+5',
  '2147483647',
  '2147483648',
  '4294967296',
  '99999999999',
  '9'.repeat(30),
  '9'.repeat(400),
  '0x10',
  '0X1F',
  '0o17',
  '0b101',
  '017',
  '1e3',
  '1E3',
  '1e-3',
  '1.5',
  '.5',
  '5.',
  '1..2',
  '1_000',
  '1,000',
  'NaN',
  'Infinity',
  '-Infinity',
  'infinity',
  '١٢٣',
  '１２',
  '²',
  '৭',
  '𝟗',
  '',
  ' ',
  '\t',
  '\n',
  '\u00a0',
  '\u200b',
  "'",
  '"',
  "''",
  '`',
  '\\',
  '1; DROP TABLE pg_class; --',
  "' OR 1=1 --",
  '$1',
  '%s',
  '${x}',
  '\u0000',
  'a\u0000b',
  '5\u0000',
  '\u001b[31m',
  '💥',
  '<!channel>',
  '&lt;',
  '&amp;',
  'x'.repeat(300),
  'y'.repeat(5_000),
  '__proto__',
  'constructor',
  'toString',
  'true',
  'false',
  'maybe',
  'yes',
  'no',
  'on',
  'off',
  'TRUE',
  '1GB',
  '500MB',
  '1.5 GB',
  '1PB',
  '1024TB',
  '2PB',
  '1025TB',
  '9999999999PB',
  '12 parsecs',
  '5min',
  '30s',
  '250ms',
  '2h',
  '365d',
  '366d',
  '400d',
  '8760h',
  '8761h',
  '1e2s',
  '-5min',
  'total',
  'mean',
  'calls',
  'fastest',
  'public.orders',
  '"public"."orders"',
  'pg_catalog.pg_class',
  '2026-01-31 12:00:00.123456+00',
  '2026-13-45 99:99:99+00',
];
const UNKNOWN_FLAGS = [
  '--',
  '---',
  '--=',
  '--=5',
  '-l',
  '--LIMIT',
  '--__proto__',
  '--constructor',
  '--toString',
  '--limt',
  '--no-limit',
  '--no-',
  '--x'.repeat(50),
  '—limit',
  '–-limit',
];

function flagsOf(command: AnyCommand | undefined): string[] {
  if (!command) return ['--limit', '--target', '--format', '--private'];
  return describeOptions(command.options).flatMap((o) =>
    o.type === 'boolean' ? [o.flag, `--no-${o.flag.slice(2)}`] : [o.flag],
  );
}

function generate(next: () => number, surface: 'slack' | 'cli'): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const commands = [
    ...listCommands().map((c) => c.name),
    'audit',
    'digest',
    'help',
    'HELP',
    'Locks',
    'nope',
    '',
    ...(surface === 'cli' ? ['commands', '--help'] : []),
  ];
  const name = pick(commands);
  const command = listCommands().find((c) => c.name === name);
  const flags = [
    ...flagsOf(command),
    ...(surface === 'cli' ? ['--target', '--format'] : ['--target', '--private', '--public']),
  ];
  const tokens = [name];
  const length = Math.floor(next() * 6);
  for (let i = 0; i < length; i++) {
    const roll = next();
    if (roll < 0.35) tokens.push(pick(flags), pick(HOSTILE_VALUES));
    else if (roll < 0.55) tokens.push(`${pick(flags)}=${pick(HOSTILE_VALUES)}`);
    else if (roll < 0.7) tokens.push(pick(HOSTILE_VALUES));
    else if (roll < 0.8) tokens.push(pick(TARGETS));
    else if (roll < 0.9) tokens.push(pick(flags));
    else tokens.push(pick(UNKNOWN_FLAGS));
  }
  return tokens;
}

/** Why an accepted value breaks what its option declares, or null. */
function outOfBounds(command: AnyCommand, options: Record<string, unknown>): string | null {
  const infos = describeOptions(command.options);
  for (const [key, value] of Object.entries(options)) {
    const info = infos.find((i) => i.key === key);
    if (!info) return `unknown option ${key} accepted`;
    if (value === undefined) continue;
    const b = info.bounds;
    if (info.type === 'boolean') {
      if (typeof value !== 'boolean') return `${key}: ${String(value)} is not a boolean`;
    } else if (info.choices) {
      if (!info.choices.includes(value as string)) return `${key}: ${String(value)} is not a choice`;
    } else if (!b) {
      return `${key} declares no bounds`;
    } else if (b.kind === 'text') {
      const control = b.lineBreaks ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
      if (typeof value !== 'string' || value.length > b.maxLength || control.test(value))
        return `${key}: text out of bounds`;
    } else if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < b.min ||
      value > b.max ||
      (b.kind === 'count' && !Number.isInteger(value))
    ) {
      return `${key}: ${String(value)} outside ${b.min}..${b.max}`;
    }
  }
  return null;
}

interface Tally {
  tried: number;
  refused: number;
  accepted: number;
  outOfRange: string[];
  unexpected: string[];
}

function attempt(tally: Tally, input: string, run: () => string | null): void {
  tally.tried++;
  try {
    const problem = run();
    tally.accepted++;
    if (problem) tally.outOfRange.push(`${JSON.stringify(input).slice(0, 200)}: ${problem}`);
  } catch (error) {
    const coded =
      error instanceof AppError &&
      USER_ERRORS.has(error.code) &&
      error.message.length > 0 &&
      (error.hint ?? '').length > 0;
    if (!coded)
      tally.unexpected.push(
        `${JSON.stringify(input).slice(0, 200)}: ${error instanceof AppError ? `${error.code} without a hint: ${error.message}` : String(error)}`,
      );
    else tally.refused++;
  }
}

const SEPARATORS = [' ', ' ', ' ', '  ', '\t', '\n', '\u00a0'];

describe('hostile input to /pg and the command line', () => {
  it(`refuses with a coded user error or accepts only in-bounds values, over ${2 * PER_SURFACE} generated inputs`, () => {
    const next = random(SEED);
    const slack: Tally = { tried: 0, refused: 0, accepted: 0, outOfRange: [], unexpected: [] };
    const cli: Tally = { tried: 0, refused: 0, accepted: 0, outOfRange: [], unexpected: [] };
    for (let i = 0; i < PER_SURFACE; i++) {
      const tokens = generate(next, 'slack');
      const text = tokens.map((t, j) => (j ? SEPARATORS[Math.floor(next() * SEPARATORS.length)]! : '') + t).join('');
      attempt(slack, text, () => {
        const request = parseSlashText(text, { targetNames: TARGETS, defaultTarget: TARGETS[0] });
        if (request.kind === 'run')
          return (
            outOfBounds(request.command, request.options) ??
            (TARGETS.includes(request.target) ? null : `target ${request.target}`)
          );
        if (request.kind === 'audit')
          return Number.isInteger(request.limit) && request.limit >= 1 && request.limit <= 200
            ? null
            : `audit limit ${request.limit}`;
        return null;
      });
    }
    for (let i = 0; i < PER_SURFACE; i++) {
      const argv = generate(next, 'cli');
      attempt(cli, argv.join(' '), () => {
        const plan = planCli(parseCliArgs(argv), TARGETS);
        if (!['text', 'json', 'nagios'].includes(plan.args.format)) return `format ${plan.args.format}`;
        if (plan.kind === 'run') return outOfBounds(plan.command, plan.options);
        if (plan.kind === 'audit')
          return Number.isInteger(plan.limit) && plan.limit >= 1 && plan.limit <= 500
            ? null
            : `audit limit ${plan.limit}`;
        return null;
      });
    }
    const figures = (t: Tally) => ({
      tried: t.tried,
      refused: t.refused,
      accepted: t.accepted,
      acceptedOutOfRange: t.outOfRange.length,
      unexpectedErrors: t.unexpected.length,
    });
    console.log(`hostile inputs: /pg ${JSON.stringify(figures(slack))}, CLI ${JSON.stringify(figures(cli))}`);

    expect(slack.tried + cli.tried).toBeGreaterThanOrEqual(10_000);
    expect([...slack.unexpected, ...cli.unexpected]).toEqual([]);
    expect([...slack.outOfRange, ...cli.outOfRange]).toEqual([]);
    // The generator must also reach acceptance, or the bounds check above would be vacuous.
    expect(slack.accepted).toBeGreaterThan(500);
    expect(cli.accepted).toBeGreaterThan(500);
  });

  it('gives the issue’s examples a refusal that says what to type instead', () => {
    const context = { targetNames: TARGETS, defaultTarget: 'prod' };
    const refusal = (text: string) => {
      try {
        parseSlashText(text, context);
      } catch (error) {
        if (error instanceof AppError) return `${error.code}: ${error.message} ${error.hint}`;
        throw error;
      }
      throw new Error(`"${text}" was accepted`);
    };
    expect(refusal('terminate 0x10')).toBe(
      'bad_option: --pid "0x10" is not valid for `terminate`: use digits only, a whole number from 1 to 2147483647. For example `--pid 10`.',
    );
    expect(refusal('locks --limit 0b101')).toBe(
      'bad_option: --limit "0b101" is not valid for `locks`: use digits only, a whole number from 1 to 100. For example `--limit 10`.',
    );
    expect(refusal(`bloat --min-size ${'9'.repeat(400)}`)).toMatch(
      /^bad_option: --min-size "9+… is not valid for `bloat`: "9+" is not a size; use digits with a unit, such as 500MB or 2GB\. For example `--min-size 100MB`\.$/,
    );
    expect(refusal('bloat --exact=maybe')).toBe(
      'bad_option: --exact="maybe" is not a yes/no value. Type `--exact` or `--no-exact` (or `--exact=true` / `--exact=false`).',
    );
    expect(refusal('terminate 99999999999')).toBe(
      'bad_option: --pid "99999999999" is not valid for `terminate`: it must be from 1 to 2147483647. For example `--pid 10`.',
    );
    expect(refusal('bloat --min-size 2PB')).toMatch(/a size can be at most 1PB/);
    expect(refusal('connections --min-idle 366d')).toMatch(/a duration can be at most 365d/);
    expect(refusal('locks --limit 5 --limit 6')).toBe(
      'bad_option: --limit is given more than once. Give it once, for example `--limit 10`.',
    );
    expect(refusal('audit --limit 1e2')).toBe(
      'bad_option: --limit needs a whole number from 1 to 200, in digits, given once. For example `/pg audit prod --limit 50`.',
    );
  });

  it('bin/pgmedic refuses hostile arguments with exit code 3 before it connects anywhere', async () => {
    // A target nobody listens on: a connection attempt would say "Could not connect" instead.
    const env = {
      ...process.env,
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      PGMEDIC_CONFIG: '',
      NO_COLOR: '1',
    };
    for (const [argv, expected] of [
      [['terminate', '0x10'], '--pid "0x10" is not valid for `terminate`: use digits only'],
      [['locks', '--limit', '0b101'], '--limit "0b101" is not valid for `locks`'],
      [['bloat', '--exact=maybe'], '--exact="maybe" is not a yes/no value.'],
      [['audit', '--limit', '1e2'], '`audit` takes only a target and --limit N'],
    ] as const) {
      const failed = await promisify(execFile)('bin/pgmedic', [...argv], { env }).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(3);
      expect(failed?.stderr).toContain(expected);
      expect(failed?.stderr).not.toContain('connect');
    }
  });
});
