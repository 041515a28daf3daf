import { describe, expect, it } from 'vitest';
import { createAlertWatch } from '../../src/schedule/alerts/watch.js';
import { recordingLog, recordingSlack, refusedUrl, targetsOf } from '../support/schedule.js';

describe('an alert round longer than the interval', () => {
  it('skips the ticks that come while it runs and says so in the log, once, with what to change', async () => {
    const targets = targetsOf([{ name: 'slow', url: await refusedUrl() }]);
    const log = recordingLog();
    let looks = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const watch = createAlertWatch({
      db: { query: async () => ({ rows: [], rowCount: 0 }) } as never,
      poster: recordingSlack().posterFor('a'),
      log,
      settings: { channel: 'C0ALERTS', cooldownSeconds: 600, resolveAfterSeconds: 0, retryPostSeconds: 60 },
      targets: [targets.get('slow')],
      intervalMs: 100,
      fireAt: 'warn',
      // The look hangs until released: every tick in between finds the round still running.
      observe: async (target) => {
        looks++;
        await held;
        return { target: target.name, observedAt: new Date(), observations: [], failedChecks: [] };
      },
    });
    try {
      watch.start();
      const deadline = Date.now() + 10_000;
      while (!log.lines.some((l) => l.level === 'warn') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 500)); // several more ticks skipped: still one look, one line
      expect(looks).toBe(1);
      const warnings = log.lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toContain('raise alerts.intervalSeconds or run more copies');
      expect(warnings[0]!.fields).toMatchObject({ skippedTicks: 1, intervalMs: 100 });
    } finally {
      release();
      await watch.stop();
      await targets.closeAll();
    }
  });
});
