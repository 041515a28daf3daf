import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../src/config/thresholds.js';
import { parseOptions } from '../../src/engine/options.js';
import { findCommand, listCommands } from '../../src/engine/registry.js';
import type { RunResult } from '../../src/engine/run.js';
import { loadParser } from '../../src/redact/parser.js';
import { DEFAULT_QUERY_TEXT_MODE } from '../../src/redact/query-text.js';
import { renderJson } from '../../src/report/json.js';
import { contextLine, renderText } from '../../src/report/text.js';
import { prepareDisplayWidth } from '../../src/report/width.js';
import { reportMessage } from '../../src/slack/blocks/report.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import * as bloat from './fixtures/bloat.js';
import * as connections from './fixtures/connections.js';
import * as database from './fixtures/database.js';
import * as explain from './fixtures/explain.js';
import * as health from './fixtures/health.js';
import * as indexes from './fixtures/indexes.js';
import * as locks from './fixtures/locks.js';
import * as performance from './fixtures/performance.js';
import * as replication from './fixtures/replication.js';
import * as sequences from './fixtures/sequences.js';
import * as sizes from './fixtures/sizes.js';
import * as slowQueries from './fixtures/slow-queries.js';
import * as slowQueriesSince from './fixtures/slow-queries-since.js';
import * as vacuum from './fixtures/vacuum.js';
import * as wraparound from './fixtures/wraparound.js';

/**
 * Every diagnostic's report from fixed findings (test/report/fixtures: "trouble" with warn/crit rows and suggested
 * actions, "quiet" with empty sections), rendered the three ways users see it: text (CLI), JSON (CLI --format json)
 * and Block Kit (Slack). The snapshots are reviewed by eye when they change; `now` and the run's meta are fixed.
 */
const FIXTURES: Record<string, { trouble: unknown; quiet: unknown }> = {
  health,
  locks,
  connections,
  'slow-queries': slowQueries,
  explain,
  replication,
  vacuum,
  bloat,
  indexes,
  wraparound,
  sequences,
  sizes,
  database,
  performance,
};

const TROUBLE_STATUS: Record<string, string> = {
  health: 'crit',
  locks: 'crit',
  connections: 'crit',
  'slow-queries': 'warn',
  explain: 'warn',
  replication: 'warn',
  vacuum: 'crit',
  bloat: 'crit',
  indexes: 'warn',
  wraparound: 'crit',
  sequences: 'crit',
  sizes: 'ok',
  database: 'warn',
  performance: 'warn',
};

const NOW = new Date('2026-03-02T09:30:00Z');

/** Reports over a window of the query history (`--since`), by the options that ask for them. */
const WINDOW_FIXTURES: Record<string, { command: string; tokens: string[]; trouble: unknown; quiet: unknown }> = {
  'slow-queries.since': { command: 'slow-queries', tokens: ['--since', '24h'], ...slowQueriesSince },
};

function runOf(name: string, findings: unknown, tokens: string[] = []): RunResult {
  const command = findCommand(name);
  const drafted = command.report(findings, {
    options: parseOptions(command, tokens),
    thresholds: DEFAULT_THRESHOLDS,
    target: 'prod',
    serverVersion: '18.1',
    inRecovery: false,
    now: NOW,
  });
  const report = { ...drafted, queryText: DEFAULT_QUERY_TEXT_MODE };
  return {
    command: name,
    target: 'prod',
    status: report.status,
    summary: report.summary,
    findings,
    report,
    meta: { serverVersion: '18.1', inRecovery: false, elapsedMs: 42, ranAt: NOW.toISOString() },
  };
}

beforeAll(async () => {
  await loadParser();
  await prepareDisplayWidth();
});

it('has fixtures for every diagnostic (a new one needs its pair here)', () => {
  expect(Object.keys(FIXTURES).sort()).toEqual(
    listCommands('diagnostic')
      .map((c) => c.name)
      .sort(),
  );
});

async function expectRenderings(result: RunResult, file: string): Promise<void> {
  await expect(renderText(result.report, contextLine(result), { color: false })).toMatchFileSnapshot(`${file}.txt`);
  await expect(renderJson(result)).toMatchFileSnapshot(`${file}.json`);
  const values = result.report.actions.map((_, i) => `o_offer${i}`);
  const message = reportMessage(result.report, contextLine(result), { actions: { values }, followUpTarget: 'prod' });
  expect(blockKitProblems(message, 'message')).toEqual([]);
  await expect(JSON.stringify(message, null, 2)).toMatchFileSnapshot(`${file}.blocks.json`);
}

describe.each(Object.keys(FIXTURES))('%s', (name) => {
  it.each(['trouble', 'quiet'] as const)('renders %s findings as text, JSON and Block Kit', async (variant) => {
    const result = runOf(name, FIXTURES[name]![variant]);
    await expectRenderings(result, `__renderings__/${name}.${variant}`);
    // Reviewed by hand with the snapshots: what each fixture must come to (sizes has no threshold).
    expect(result.status).toBe(variant === 'quiet' ? 'ok' : TROUBLE_STATUS[name]);
  });
});

describe.each(Object.keys(WINDOW_FIXTURES))('%s', (name) => {
  it.each(['trouble', 'quiet'] as const)('renders %s findings as text, JSON and Block Kit', async (variant) => {
    const fixture = WINDOW_FIXTURES[name]!;
    const result = runOf(fixture.command, fixture[variant], fixture.tokens);
    await expectRenderings(result, `__renderings__/${name}.${variant}`);
    expect(result.status).toBe(variant === 'quiet' ? 'ok' : 'warn');
  });
});
