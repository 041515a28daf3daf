import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of docs/ARCHITECTURE.md, read from the sources themselves (no linter needed). Each exception is
 * listed with its reason; a listed exception that no longer occurs fails too, so the lists can only shrink.
 */

const ROOTS = ['src', 'commands', 'actions', 'test', 'bench'];

interface Import {
  file: string;
  /** Repo-relative path without extension for relative imports ('src/heal/types'), else the bare package name. */
  target: string;
}

function sourceFiles(): string[] {
  return ROOTS.flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
      .map((file) => join(root, file)),
  );
}

// `import … from '…'`, `export … from '…'`, `import '…'` (over several lines too), and `import('…')`.
const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(STATIC), ...text.matchAll(DYNAMIC)].map((m) => m[1]!);
  return specifiers.map((specifier) => ({
    file,
    target: specifier.startsWith('.')
      ? normalize(join(dirname(file), specifier)).replace(/\.(js|ts|mjs)$/, '')
      : specifier.split('/')[0]!,
  }));
}

const ALL = sourceFiles().flatMap(importsOf);
const within = (path: string, rooms: readonly string[]) =>
  rooms.some((room) => path === room || path.startsWith(`${room}/`));
const show = (i: Import) => `${i.file} → ${i.target}`;

/** The imports that break a rule, minus the listed exceptions (keyed `file → target`); also the stale exceptions. */
function check(breaks: (i: Import) => boolean, exceptions: Readonly<Record<string, string>>) {
  const found = ALL.filter(breaks).map(show);
  return {
    unlisted: [...new Set(found.filter((key) => !(key in exceptions)))],
    stale: Object.keys(exceptions).filter((key) => !found.includes(key)),
  };
}

describe('import rules (docs/ARCHITECTURE.md)', () => {
  it('reads the imports it checks (the reader itself works)', () => {
    expect(ALL.length).toBeGreaterThan(500);
    const own = importsOf('src/heal/offers.ts').map((i) => i.target);
    expect(own).toEqual(['src/state/offers', 'src/state/requests', 'src/state/offers']);
    expect(ALL.filter((i) => i.file === 'src/cli/main.ts').some((i) => i.target.startsWith('src/cli/'))).toBe(true);
  });

  it('commands and actions import nothing from the surfaces, the schedule, the approval workflow or the workspace', () => {
    const outer = ['src/slack', 'src/schedule', 'src/heal', 'src/workspace'];
    expect(check((i) => within(i.file, ['commands', 'actions']) && within(i.target, outer), {})).toEqual({
      unlisted: [],
      stale: [],
    });
  });

  it('diagnostics and actions are siblings: neither imports the other', () => {
    const crossing = (i: Import) =>
      (within(i.file, ['commands']) && within(i.target, ['actions'])) ||
      (within(i.file, ['actions']) && within(i.target, ['commands']));
    expect(check(crossing, {})).toEqual({ unlisted: [], stale: [] });
  });

  it('reads a diagnostic from outside through its entry file (its Findings type and extractors), never its insides', () => {
    const inside = (i: Import) => !within(i.file, ['commands']) && /^commands\/[^/]+\//.test(i.target);
    expect(check((i) => within(i.file, ['src', 'actions', 'bench']) && inside(i), {})).toEqual({
      unlisted: [],
      stale: [],
    });
  });

  it('keeps each diagnostic to itself: what two of them share lives in commands/shared', () => {
    const owner = (path: string) => /^commands\/([^/.]+)/.exec(path)?.[1] ?? null;
    const crossing = (i: Import) => {
      const [from, to] = [owner(i.file), owner(i.target)];
      return !!from && !!to && from !== to && from !== 'index' && to !== 'shared';
    };
    const exceptions = {
      // The largest tables in the database report are the sizes command's section, measured the same way.
      'commands/database.ts → commands/sizes': 'LARGEST_TABLES_SQL, measureLargestTables',
      'commands/database/report.ts → commands/sizes': 'largestTablesSections, skippedFootnotes',
      // health's lock summary is the locks command's blocking tree, assessed the same way.
      'commands/health/locks.ts → commands/locks/tree': 'buildTree, assessLocks',
    };
    expect(check(crossing, exceptions)).toEqual({ unlisted: [], stale: [] });
  });

  it('imports `pg` only in src/db, src/state, src/embedded, tests and benches', () => {
    const allowed = ['src/db', 'src/state', 'src/embedded', 'test', 'bench'];
    const exceptions = {};
    expect(check((i) => i.target === 'pg' && !within(i.file, allowed), exceptions)).toEqual({
      unlisted: [],
      stale: [],
    });
  });

  it('keeps Slack away from the state database: it talks to heal and schedule', () => {
    const exceptions = {
      // Event deduplication is the Slack layer's own table (slack_deliveries): a service in between would only forward.
      'src/slack/dedupe.ts → src/state/deliveries': 'Slack-owned table',
    };
    expect(check((i) => within(i.file, ['src/slack']) && within(i.target, ['src/state']), exceptions)).toEqual({
      unlisted: [],
      stale: [],
    });
  });

  it('keeps the approval workflow beside the surfaces: heal imports no surface, schedule or workspace', () => {
    const surfaces = ['src/slack', 'src/cli', 'src/schedule', 'src/workspace'];
    expect(check((i) => within(i.file, ['src/heal']) && within(i.target, surfaces), {})).toEqual({
      unlisted: [],
      stale: [],
    });
  });

  it('keeps the charts a leaf: src/charts imports only db types, the report formats and the trends that hand it data', () => {
    const allowed = ['src/charts', 'src/db', 'src/report', 'src/schedule/trends'];
    const outside = (i: Import) =>
      within(i.file, ['src/charts']) && i.target.startsWith('src/') && !within(i.target, allowed);
    expect(check(outside, {})).toEqual({ unlisted: [], stale: [] });
  });

  it('keeps the database rooms at the bottom: src/db and src/state import only config, errors, log and each other', () => {
    const below = ['src/db', 'src/state', 'src/config', 'src/errors', 'src/log'];
    const upward = (i: Import) =>
      within(i.file, ['src/db', 'src/state']) && i.target.startsWith('src/') && !within(i.target, below);
    expect(check(upward, {})).toEqual({ unlisted: [], stale: [] });
  });
});
