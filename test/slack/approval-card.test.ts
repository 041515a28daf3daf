import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { unknownOutcome } from '../../src/heal/limbo.js';
import { APPROVE_ACTION_ID, approvalCard } from '../../src/slack/blocks/approval.js';
import { LIMITS } from '../../src/slack/blocks/limits.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import { parseSlashText } from '../../src/slack/parse.js';
import type { ApprovalRequest } from '../../src/state/requests.js';

const preview: Report = {
  title: 'Terminate session 4242',
  status: 'warn',
  summary:
    'Terminate session 4242 (app <!channel>, psql), idle in transaction for 12 min, blocking 2 sessions (4243, 4244).',
  sections: [
    {
      kind: 'facts',
      facts: [
        { label: 'pid', value: '4242' },
        { label: 'Application', value: '<http://evil|click me>' },
      ],
    },
    { kind: 'code', title: 'Its current or last query', text: 'UPDATE t SET x = 1 -- <!here>' },
    { kind: 'code', title: 'What will run after approval', text: 'SELECT pg_terminate_backend…' },
  ],
  actions: [],
  footnotes: [],
};

const request = (overrides: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  id: 'req_abc',
  action: 'terminate',
  target: 'prod',
  params: { pid: '4242', backendStart: '2026-01-01 10:00:00.123456+00' },
  statement: 'SELECT pg_catalog.pg_terminate_backend(a.pid, 5000) AS exited FROM pg_stat_activity a WHERE a.pid = $1',
  statementValues: ['4242', '2026-01-01 10:00:00.123456+00'],
  details: { report: preview },
  requestedBy: 'UALICE',
  channel: 'CINC',
  messageTs: '1.2',
  status: 'pending',
  approvalsRequired: 1,
  approvers: [],
  createdAt: '2026-01-01T10:05:00.000Z',
  expiresAt: '2026-01-01T10:15:00.000Z',
  decidedBy: null,
  decidedAt: null,
  outcome: null,
  executor: null,
  heartbeatAt: null,
  ...overrides,
});

const buttons = (blocks: unknown[]) =>
  blocks.flatMap((b) =>
    (b as { type: string }).type === 'actions' ? (b as { elements: Record<string, unknown>[] }).elements : [],
  );

describe('approvalCard', () => {
  it('shows who asked, the target, the exact SQL with its values, the expiry, and Approve (confirmed) / Reject carrying only the request id', () => {
    const card = approvalCard(request());
    expect(blockKitProblems(card)).toEqual([]);
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('<@UALICE> asks to run `terminate` on `prod`');
    expect(text).toContain("-- $2 = '2026-01-01 10:00:00.123456+00'");
    expect(text).toContain('Expires <!date^1767262500^');
    expect(text).not.toContain('What will run after approval');
    const [approve, reject] = buttons(card.blocks);
    expect(approve).toMatchObject({ action_id: APPROVE_ACTION_ID, value: 'req_abc', style: 'primary' });
    expect(reject).toMatchObject({ value: 'req_abc' });
    expect(reject).not.toHaveProperty('confirm');
  });

  it('escapes database text: no mention, broadcast or link gets through', () => {
    const text = JSON.stringify(approvalCard(request()).blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<http://evil');
    expect(text).toContain('&lt;!channel&gt;');
    // Preformatted query text is never parsed by Slack, so it stays literal.
    expect(text).toContain('UPDATE t SET x = 1 -- <!here>');
  });

  it('asks for confirmation only for destructive actions, within the confirm limits', () => {
    for (const action of ['terminate', 'cancel', 'drop-index', 'reindex']) {
      const confirm = buttons(approvalCard(request({ action })).blocks)[0]!.confirm as {
        title: { text: string };
        text: { text: string };
      };
      expect(confirm.title.text.length).toBeLessThanOrEqual(LIMITS.confirmTitle);
      expect(confirm.text.text.length).toBeLessThanOrEqual(LIMITS.confirmText);
    }
    for (const action of ['vacuum-table', 'analyze'])
      expect(buttons(approvalCard(request({ action })).blocks)[0]).not.toHaveProperty('confirm');
  });

  it('replaces the buttons with the outcome once decided', () => {
    const decided = { decidedBy: 'UBOB', decidedAt: '2026-01-01T10:06:00.000Z', approvers: ['UBOB'] };
    const cases: [Partial<ApprovalRequest>, string][] = [
      [
        {
          ...decided,
          status: 'succeeded',
          outcome: {
            ok: true,
            summary: 'Session 4242 was terminated and has exited.',
            finishedAt: '2026-01-01T10:06:01.000Z',
          },
        },
        'Approved by <@UBOB> at <!date^',
      ],
      [
        {
          ...decided,
          status: 'failed',
          outcome: {
            ok: false,
            summary: 'terminate failed: permission denied',
            error: { code: '42501', message: 'x' },
          },
        },
        'SQLSTATE 42501',
      ],
      [
        {
          ...decided,
          status: 'target_changed',
          outcome: { ok: false, summary: 'Session 4242 has ended since the request.' },
        },
        '*nothing ran*',
      ],
      [
        {
          ...decided,
          approvers: [],
          status: 'target_changed',
          outcome: { ok: false, summary: 'Nothing ran: target "prod" is no longer configured.' },
        },
        'when <@UBOB> tried to approve: its target is gone.\\nNothing ran: target \\"prod\\" is no longer configured.',
      ],
      [{ ...decided, status: 'rejected', approvers: [] }, 'Rejected by <@UBOB>'],
      [{ status: 'expired' }, 'without enough approvals; nothing ran'],
      [
        {
          ...decided,
          status: 'outcome_unknown',
          outcome: unknownOutcome(request(), 'The copy of pgmedic running this (h:1:ab) stopped answering.'),
        },
        'Is pid 4242 still there?',
      ],
      [
        {
          ...decided,
          status: 'interrupted',
          outcome: unknownOutcome(request(), 'pgmedic was stopped while this ran.'),
        },
        '*Interrupted:* pgmedic was stopped',
      ],
    ];
    for (const [overrides, expected] of cases) {
      const card = approvalCard(request(overrides));
      expect(blockKitProblems(card), overrides.status).toEqual([]);
      expect(buttons(card.blocks), overrides.status).toEqual([]);
      expect(JSON.stringify(card.blocks), overrides.status).toContain(expected);
    }
  });
});

describe('approvalCard of explain-analyze', () => {
  it("shows the statement's query text by the target's setting, as the preview was shown", () => {
    const statement = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM orders WHERE note = 'card 4111'";
    const sqlBlock = (queryText: 'full' | 'redacted' | 'hidden') => {
      const card = approvalCard(
        request({
          action: 'explain-analyze',
          params: { query: "SELECT * FROM orders WHERE note = 'card 4111'" },
          statement,
          statementValues: [],
          details: { report: { ...preview, sections: [], queryText } },
        }),
      );
      return JSON.stringify(card.blocks.find((b) => JSON.stringify(b).includes('SQL that runs after approval')));
    };
    expect(sqlBlock('full')).toContain("WHERE note = 'card 4111'");
    expect(sqlBlock('redacted')).not.toContain('card 4111');
    expect(sqlBlock('redacted')).toContain('WHERE note = $1');
    expect(sqlBlock('hidden')).not.toContain('orders');
    expect(sqlBlock('hidden')).toContain('(query text hidden)');
  });
});

describe('parseSlashText for healing', () => {
  const context = { targetNames: ['prod', 'staging'], defaultTarget: 'prod' };
  it('takes the target after an action’s positional', () => {
    expect(parseSlashText('terminate 4242 staging', context)).toMatchObject({
      kind: 'run',
      target: 'staging',
      tokens: ['4242'],
      options: { pid: 4242 },
    });
    expect(parseSlashText('terminate 4242', context)).toMatchObject({ kind: 'run', target: 'prod', tokens: ['4242'] });
  });
  it('never takes a target out of explain-analyze SQL: a table named like a target stays SQL', () => {
    expect(parseSlashText('explain-analyze SELECT * FROM staging', context)).toMatchObject({
      kind: 'run',
      target: 'prod',
      options: { statement: 'SELECT * FROM staging' },
    });
    expect(parseSlashText('explain-analyze staging SELECT 1', context)).toMatchObject({
      target: 'staging',
      options: { statement: 'SELECT 1' },
    });
    expect(parseSlashText('explain-analyze 1234 staging', context)).toMatchObject({
      target: 'staging',
      options: { statement: '1234' },
    });
  });
  it('parses /pg audit [target] [--limit N] and refuses a bad limit', () => {
    expect(parseSlashText('audit', context)).toEqual({ kind: 'audit', limit: 20 });
    expect(parseSlashText('audit staging --limit 5 --private', context)).toEqual({
      kind: 'audit',
      target: 'staging',
      limit: 5,
      visibility: 'private',
    });
    expect(() => parseSlashText('audit --limit 0', context)).toThrow(/--limit needs a whole number/);
    expect(() => parseSlashText('audit prdo', context)).toThrow(/no target named "prdo"/);
  });
});
