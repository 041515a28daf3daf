import { describe, expect, it } from 'vitest';
import { helpReport } from '../../src/engine/help.js';
import type { Report } from '../../src/report/model.js';

const text = (report: Report) => JSON.stringify(report);

describe('help for trend', () => {
  it('is listed in Slack with its metrics, and not among the command line’s commands', () => {
    expect(text(helpReport('/pg'))).toContain('"trend"');
    expect(text(helpReport('pgmedic'))).not.toContain('"trend"');
    const slack = helpReport('/pg', 'trend');
    expect(text(slack)).toContain(
      '/pg trend <size|bloat|reclaimable|dead-tuples|database-size|replication-lag|query-time|query-mean> [target] [--days 7|30]',
    );
    expect(text(slack)).toContain('dead tuples of the 5 tables with the most');
    expect(text(slack)).toContain('mean time per call of those statements, per interval between snapshots');
  });

  it('on the command line, says it is Slack’s and how to type it there', () => {
    const cli = helpReport('pgmedic', 'trend');
    expect(cli.title).toBe('/pg trend');
    expect(cli.footnotes).toEqual(['`trend` works in Slack only.']);
  });
});
