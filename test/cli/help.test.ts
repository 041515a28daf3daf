import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ACTIONS } from '../../actions/index.js';
import { COMMANDS as DIAGNOSTICS } from '../../commands/index.js';
import { wantsColor } from '../../src/config/terminal.js';
import { EXTRA_COMMANDS } from '../../src/engine/extra-commands.js';
import { PRIMARY_FIGURES } from '../../src/engine/primary.js';
import { pgmedic, pgmedicOnTty } from '../support/cli.js';

const COMMANDS = [...DIAGNOSTICS, ...ACTIONS];

const ESC = '\x1b[';
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('bin/pgmedic help and version', () => {
  it('prints the overview and exits 0 for no arguments, -h, --help, help and commands', async () => {
    for (const args of [[], ['-h'], ['--help'], ['help'], ['commands']]) {
      const { code, stdout, stderr } = await pgmedic(args);
      expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: '' });
      // `trend` posts an image: Slack only, so the terminal's overview leaves it out.
      for (const command of [...COMMANDS, ...EXTRA_COMMANDS.filter((c) => !c.slackOnly)])
        expect(stdout).toContain(`  ${command.name} `);
      expect(stdout).toContain('Usage: `pgmedic <command> [target] [options]`');
      expect(stdout).toContain('Output (--format)');
      expect(stdout).toMatch(/json +One JSON object/);
      expect(stdout).toMatch(/nagios +One status line/);
      expect(stdout).toContain('Exit codes');
      for (const [code, word] of [
        ['0', 'OK'],
        ['1', 'WARNING'],
        ['2', 'CRITICAL'],
        ['3', 'UNKNOWN'],
      ])
        expect(stdout).toMatch(new RegExp(`\\n  ${code} +${word}`));
      const monitoring = stdout.slice(stdout.indexOf('Monitoring checks (--warning, --critical)'));
      for (const name of Object.keys(PRIMARY_FIGURES)) expect(monitoring).toMatch(new RegExp(`\\n  ${name} +\\S`));
    }
  });

  it('prints one command’s help for `<command> --help`, `<command> -h` and `help <command>`', async () => {
    const runs = await Promise.all([
      pgmedic(['locks', '--help']),
      pgmedic(['locks', '-h']),
      pgmedic(['help', 'locks']),
    ]);
    for (const { code, stdout } of runs) {
      expect(code).toBe(0);
      expect(stdout).toContain('pgmedic locks [target] [options]');
      expect(stdout).toMatch(/--limit <n> +10/);
      expect(stdout).toContain('Exit codes');
      expect(stdout).toContain('--warning and --critical replace the thresholds of the longest lock wait');
    }
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
    const database = await pgmedic(['database', '--help']);
    expect(database.stdout).toContain('pgmedic database [target] [database]');
    const health = await pgmedic(['health', '--help']);
    expect(health.stdout).toContain('no single figure for --warning and --critical');
    const digest = await pgmedic(['digest', '--help']);
    expect(digest.stdout).toContain('pgmedic digest [target]');
  });

  it('prints the version from package.json', async () => {
    for (const flag of ['--version', '-V'])
      expect(await pgmedic([flag])).toEqual({ code: 0, stdout: `pgmedic ${version}\n`, stderr: '' });
  });

  it('refuses an unknown command with every command’s name, audit and digest included, and a `pgmedic help` hint', async () => {
    const { code, stdout, stderr } = await pgmedic(['lcoks']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('Did you mean `locks`?');
    const far = await pgmedic(['xyzzy']);
    for (const command of [...COMMANDS, ...EXTRA_COMMANDS]) expect(far.stderr).toContain(`\`${command.name}\``);
    expect(far.stderr).toContain('Type `pgmedic help` for the list.');
    expect(far.stderr).not.toMatch(/[^c] `help/);
  });

  it('says `pgmedic help <command>` in hints, never a bare `help <command>`', async () => {
    const { code, stderr } = await pgmedic(['database', 'app', 'extra'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(code).toBe(3);
    expect(stderr).toContain('`pgmedic help database`');
    expect(stderr).not.toMatch(/[^c] `help/);
  });

  it('shows control characters it quotes back escaped, not raw to the terminal', async () => {
    const { code, stderr } = await pgmedic(['\x1b]0;owned\x07']);
    expect(code).toBe(3);
    expect(stderr).toContain('There is no command "\\u001b]0;owned\\u0007".');
    expect(stderr).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
  });

  it('refuses a bad --format with the formats it knows', async () => {
    const { code, stderr } = await pgmedic(['locks', '--format', 'xml']);
    expect(code).toBe(3);
    expect(stderr).toContain('Use `--format text`, `--format json` or `--format nagios`.');
  });
});

describe('colour', () => {
  const coloured = async (env: Record<string, string>, tty = false) =>
    (await (tty ? pgmedicOnTty : pgmedic)(['--help'], env)).stdout.includes(ESC);

  it('is off in a pipe, on with FORCE_COLOR, off with FORCE_COLOR=0 or NO_COLOR', async () => {
    expect(await coloured({})).toBe(false);
    expect(await coloured({ FORCE_COLOR: '1' })).toBe(true);
    expect(await coloured({ FORCE_COLOR: '0' })).toBe(false);
    expect(await coloured({ NO_COLOR: '1' })).toBe(false);
  });

  it('is on on a terminal unless NO_COLOR is set or TERM is dumb', async () => {
    expect(await coloured({}, true)).toBe(true);
    expect(await coloured({ NO_COLOR: '1' }, true)).toBe(false);
    expect(await coloured({ NO_COLOR: '' }, true)).toBe(true); // no-color.org: only a non-empty value counts
    expect(await coloured({ TERM: 'dumb' }, true)).toBe(false);
  });

  it('lets FORCE_COLOR win over NO_COLOR, as Node does', () => {
    expect(wantsColor(false, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(wantsColor(true, { FORCE_COLOR: 'false' })).toBe(false);
  });
});

describe('the compiled command line', () => {
  /** Every source file (esbuild's `// path` comments) a chunk pulls in through static imports, from the entry. */
  function staticSources(entry: string, seen = new Set<string>()): string[] {
    if (seen.has(entry)) return [];
    seen.add(entry);
    const code = readFileSync(`dist/cli/${entry}`, 'utf8');
    const imported = [...code.matchAll(/^import [^;]*? from "\.\/([^"]+)";?$|^} from "\.\/([^"]+)";?$/gm)].map(
      (m) => m[1] ?? m[2]!,
    );
    return [
      ...[...code.matchAll(/^\/\/ (\S+)$/gm)].map((m) => m[1]!),
      ...imported.flatMap((file) => staticSources(file, seen)),
    ];
  }

  it('loads no Slack, scheduler, metrics or workspace code to run one diagnostic', () => {
    const diagnostic = readdirSync('dist/cli').find((file) => /^diagnostic-.*\.js$/.test(file))!;
    const sources = [...staticSources('main.js'), ...staticSources(diagnostic)];
    expect(sources).toContain('src/engine/run.ts');
    expect(sources).toContain('node_modules/pg/lib/client.js');
    // (the config's cron expressions are checked with node-cron's parser, src/schedule/cron.ts; nothing else of the scheduler)
    expect(
      sources.filter((s) =>
        /@slack|prom-client|pino|src\/slack|src\/schedule\/(?!cron\.ts)|src\/workspace|src\/ops|src\/embedded/.test(s),
      ),
    ).toEqual([]);
    // the entry loads only argument parsing; string-width (~70 ms) only for text that needs it
    expect(staticSources('main.js').filter((s) => /zod|pg\/lib|yaml/.test(s))).toEqual([]);
    const help = readdirSync('dist/cli').find((file) => /^help-.*\.js$/.test(file))!;
    expect([...sources, ...staticSources(help)].filter((s) => s.includes('string-width'))).toEqual([]);
  });

  /** The bundled sources of every chunk one run of the CLI loads (test/support/record-loads.mjs lists them). */
  async function loadedSources(args: string[], env: Record<string, string> = {}): Promise<string[]> {
    const run = promisify(execFile)(
      process.execPath,
      ['--import', './test/support/record-loads.mjs', 'dist/cli/main.js', ...args],
      { env: { PATH: process.env.PATH, ...env } },
    );
    const { stderr } = await run.catch((error: { stderr: string }) => error);
    const chunks = [...stderr.matchAll(/^loaded file:\/\/.*\/dist\/cli\/(\S+)$/gm)].map((m) => m[1]!);
    expect(chunks).toContain('main.js');
    return chunks.flatMap((chunk) =>
      [...readFileSync(`dist/cli/${chunk}`, 'utf8').matchAll(/^\/\/ (\S+)$/gm)].map((m) => m[1]!),
    );
  }

  it('does not evaluate pg, yaml or node-cron for --help and --version; a diagnostic does load pg', async () => {
    for (const args of [['--help'], ['--version'], ['help', 'locks']]) {
      const sources = await loadedSources(args);
      expect({ args, heavy: sources.filter((s) => /node_modules\/(pg|pg-[a-z-]+|yaml|node-cron)\//.test(s)) }).toEqual({
        args,
        heavy: [],
      });
    }
    expect(await loadedSources(['health'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })).toContain(
      'node_modules/pg/lib/client.js',
    );
  });

  it("bundles pg without its Cloudflare probe, which would load Node's undici on every run (scripts/build.mjs)", () => {
    const chunks = readdirSync('dist/cli')
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(`dist/cli/${file}`, 'utf8'));
    const stream = chunks.find((code) => code.includes('// node_modules/pg/lib/stream.js'));
    expect(stream).toBeDefined();
    expect(stream).toContain('function getNodejsStreamFuncs()');
    expect(chunks.filter((code) => code.includes('new Response('))).toEqual([]);
  });

  it('loads the YAML parser and node-cron only when there is a config file', async () => {
    const fromUrl = await loadedSources(['health'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(fromUrl.filter((s) => /node_modules\/(yaml|node-cron)\/|src\/schedule\//.test(s))).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'pgmedic-loads-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'pgmedic.yml'), 'targets: [{ name: prod, url: "postgres://nobody@127.0.0.1:1/none" }]\n');
    const fromFile = await loadedSources(['health'], { PGMEDIC_CONFIG: join(dir, 'pgmedic.yml') });
    expect(fromFile.some((s) => s.startsWith('node_modules/yaml/'))).toBe(true);
    expect(fromFile.some((s) => s.startsWith('node_modules/node-cron/'))).toBe(true);
  });
});
