import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { listCommands } from '../../src/engine/registry.js';
import { toJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { run, testTarget } from '../support/engine.js';
import { prepareLeastPrivilege } from '../support/least-privilege.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createLockPileup, type LockPileup } from '../support/scenarios/lock-pileup.js';

/** Variants that reach more of each report's notes. */
const VARIANTS: Record<string, string[][]> = {
  bloat: [[], ['--min-size', '0', '--exact']],
  indexes: [[], ['--min-size', '0']],
  sequences: [[], ['--limit', '2']],
};

let server: TestServer;
let targets: Record<string, Target>;
let pileup: LockPileup;

beforeAll(async () => {
  server = await startTestServer(18);
  const lp = await prepareLeastPrivilege(server);
  targets = {
    superuser: testTarget(lp.adminUrl),
    pg_monitor: testTarget(lp.monitorUrl),
    'pg_monitor without pgstattuple': testTarget(lp.plainMonitorUrl),
  };
  pileup = await createLockPileup(lp.adminUrl, 8);
}, 120_000);
afterAll(async () => {
  await pileup?.release();
  await pileup?.close();
  await Promise.all(Object.values(targets ?? {}).map((t) => t.close()));
  await server?.stop();
});

const cases = listCommands('diagnostic').flatMap((c) =>
  (VARIANTS[c.name] ?? [[]]).map((tokens) => [c.name, tokens] as const),
);

describe('JSON carries everything the text says', () => {
  it.each(cases)(
    '%s %j: every note of the text is in the JSON, and a warn or crit names its cause',
    async (name, tokens) => {
      for (const [who, target] of Object.entries(targets)) {
        const result = await run(target, name, [...tokens]);
        const text = renderText(result.report, undefined, { color: false });
        const json = toJson(result);
        const notes = text
          .split('\n')
          .filter((line) => line.startsWith('note: '))
          .map((line) => line.slice('note: '.length));
        for (const note of notes) expect(json.notes, `${name} as ${who}`).toContain(note);
        for (const section of result.report.sections)
          if (section.kind === 'text') expect(json.notes).toContain(section.text);
        if (json.status === 'ok') expect(json.reasons).toEqual([]);
        else expect(json.reasons.length, `${name} as ${who} is ${json.status} without a reason`).toBeGreaterThan(0);
        // JSON round-trips: what a monitoring system parses is what was built
        expect(JSON.parse(JSON.stringify(json)).notes).toEqual(json.notes);
      }
    },
  );
});
