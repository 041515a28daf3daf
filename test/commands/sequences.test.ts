import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequenceStatus, type SequencesFindings, type SequenceUsage } from '../../commands/sequences.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/thresholds.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createSequencesNearMax } from '../support/scenarios/sequence-near-max.js';

let server: TestServer;
let target: Target;
let findings: SequencesFindings;
let truth: Map<string, { last_value: string | null; max_value: string; min_value: string }>;

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url());
  await createSequencesNearMax(server.url());
  findings = (await run(target, 'sequences')).findings as SequencesFindings;
  const client = await connect(server.url());
  // The plain client returns int8 as exact text, like the findings.
  const rows = (await client.query('SELECT sequencename, last_value, max_value, min_value FROM pg_sequences')).rows;
  await client.end();
  truth = new Map(rows.map((r) => [r.sequencename, r]));
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

const byName = (name: string): SequenceUsage => findings.sequences.find((s) => s.sequence === name)!;

describe('sequences', () => {
  it('carries last_value, max_value and min_value exactly as pg_sequences has them', () => {
    for (const s of findings.sequences) {
      expect({ lastValue: s.lastValue, maxValue: s.maxValue, minValue: s.minValue }).toEqual({
        lastValue: truth.get(s.sequence)!.last_value,
        maxValue: truth.get(s.sequence)!.max_value,
        minValue: truth.get(s.sequence)!.min_value,
      });
    }
    expect(findings.sequences).toHaveLength(truth.size);
  });

  it('measures a bigint sequence behind an int column against the column, not its own max', () => {
    const s = byName('legacy_orders_id_seq');
    expect(s).toMatchObject({
      dataType: 'bigint',
      lastValue: '2147482647',
      maxValue: '9223372036854775807',
      column: 'legacy_orders.id',
      columnType: 'integer',
      columnLink: 'owned',
      limit: '2147483647',
      limitSource: 'column',
      remaining: 1000,
    });
    expect(s.percentUsed).toBeCloseTo((100 * (2147482647 - 1)) / (2147483647 - 1), 9);
    expect(findings.sequences[0]!.sequence).toBe('legacy_orders_id_seq');
  });

  it('measures a standalone sequence against its own MAXVALUE', () => {
    expect(byName('seq_small_max')).toMatchObject({
      lastValue: '960',
      limit: '1000',
      limitSource: 'sequence',
      column: null,
      remaining: 40,
    });
    expect(byName('seq_small_max').percentUsed).toBeCloseTo((100 * 959) / 999, 9);
  });

  it('measures a descending sequence toward the minimum of the int column it feeds', () => {
    const s = byName('countdown_seq');
    expect(s).toMatchObject({
      increment: -1,
      lastValue: '-2000000000',
      limit: '-2147483648',
      limitSource: 'column',
      column: 'countdown.id',
      columnLink: 'default',
      remaining: 147483648,
    });
    expect(s.percentUsed).toBeCloseTo((100 * (-1 - -2000000000)) / (-1 - -2147483648), 9);
  });

  it('links identity columns and treats never-used sequences as unused', () => {
    expect(byName('small_ident_id_seq')).toMatchObject({
      dataType: 'smallint',
      columnLink: 'identity',
      column: 'small_ident.id',
      lastValue: '30000',
      limit: '32767',
      limitSource: 'sequence',
    });
    expect(byName('seq_never_used')).toMatchObject({ lastValue: null, percentUsed: 0, readable: true });
  });

  it('does not alarm on a cycling sequence at its own limit, and is crit overall', async () => {
    const cycling = byName('seq_cycling');
    expect(cycling).toMatchObject({ cycles: true, limitSource: 'sequence' });
    expect(cycling.percentUsed).toBeGreaterThan(95);
    expect(sequenceStatus(cycling, DEFAULT_THRESHOLDS)).toBe('ok');
    const result = await run(target, 'sequences');
    expect(result.status).toBe('crit');
    expect(result.summary).toBe(
      'legacy_orders_id_seq has used 99.99% of its range (1,000 values left before 2147483647, the limit of integer column legacy_orders.id).',
    );
  });

  it('skips a sequence another session holds in ACCESS EXCLUSIVE, and says so', async () => {
    const holder = await connect(server.url(), 'scenario-holder');
    await holder.query('BEGIN; DROP SEQUENCE seq_small_max');
    try {
      const result = await run(target, 'sequences');
      const held = (result.findings as SequencesFindings).sequences.find((s) => s.sequence === 'seq_small_max')!;
      expect(held.percentUsed).toBeNull();
      expect((result.findings as SequencesFindings).skipped).toEqual(['seq_small_max']);
      expect(result.report.footnotes.join(' ')).toContain(
        'Skipped because another session holds ACCESS EXCLUSIVE on them: seq_small_max.',
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });
});
