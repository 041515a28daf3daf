import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { escapeCode, escapeMrkdwn } from '../../src/slack/blocks/escape.js';
import { homeView } from '../../src/slack/blocks/home.js';
import { LIMITS } from '../../src/slack/blocks/limits.js';
import { reportMessage } from '../../src/slack/blocks/report.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';

/** Every message a renderer test produces also goes through the one limits validator. */
function valid<T extends { blocks: unknown[]; text?: string }>(message: T, surface: 'message' | 'home' = 'message'): T {
  expect(blockKitProblems(message, surface)).toEqual([]);
  return message;
}

const base: Report = {
  title: 'Locks',
  status: 'warn',
  summary: '1 root blocker holding up 2 sessions.',
  sections: [],
  actions: [],
  footnotes: [],
};

describe('escaping', () => {
  it('escapes & < > in that order, defusing mentions and links', () => {
    expect(escapeMrkdwn('<!channel> & <http://evil|ok> &lt;')).toBe(
      '&lt;!channel&gt; &amp; &lt;http://evil|ok&gt; &amp;lt;',
    );
    expect(escapeCode('a`b```c')).toBe('aˋbˋˋˋc');
  });
});

describe('reportMessage', () => {
  it('renders header, summary, facts, a phone-width table, code, buttons and context', () => {
    const report: Report = {
      ...base,
      sections: [
        {
          kind: 'facts',
          facts: [
            { label: 'Deadlocks', value: '3', status: 'warn' },
            { label: 'Oldest wait', value: '42s' },
          ],
        },
        {
          kind: 'table',
          title: 'Tree',
          columns: [{ header: 'pid' }, { header: 'waits', align: 'right' }],
          rows: [
            ['101', '42s'],
            ['└ 102', '3s'],
          ],
        },
        { kind: 'code', title: 'Root query', text: 'UPDATE t SET x = 1 -- <!here>' },
      ],
      actions: [
        {
          action: 'terminate',
          label: 'Terminate 101',
          params: { pid: '101', backendStart: '2024-01-01' },
          style: 'danger',
        },
      ],
      footnotes: ['Idle in transaction: only terminate helps.'],
    };
    expect(
      valid(reportMessage(report, 'prod · PostgreSQL 18.4 · 12 ms', { actions: { values: ['o_opaque1'] } })),
    ).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": ":large_yellow_circle: Locks",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "1 root blocker holding up 2 sessions.",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "fields": [
              {
                "text": "*Deadlocks*
      :warning: 3",
                "type": "mrkdwn",
              },
              {
                "text": "*Oldest wait*
      42s",
                "type": "mrkdwn",
              },
            ],
            "type": "section",
          },
          {
            "elements": [
              {
                "elements": [
                  {
                    "style": {
                      "bold": true,
                    },
                    "text": "Tree",
                    "type": "text",
                  },
                ],
                "type": "rich_text_section",
              },
            ],
            "type": "rich_text",
          },
          {
            "column_settings": [
              {
                "align": "left",
                "is_wrapped": true,
              },
              {
                "align": "right",
              },
            ],
            "rows": [
              [
                {
                  "text": "pid",
                  "type": "raw_text",
                },
                {
                  "text": "waits",
                  "type": "raw_text",
                },
              ],
              [
                {
                  "text": "101",
                  "type": "raw_text",
                },
                {
                  "text": "42s",
                  "type": "raw_text",
                },
              ],
              [
                {
                  "text": "└ 102",
                  "type": "raw_text",
                },
                {
                  "text": "3s",
                  "type": "raw_text",
                },
              ],
            ],
            "type": "table",
          },
          {
            "elements": [
              {
                "elements": [
                  {
                    "style": {
                      "bold": true,
                    },
                    "text": "Root query",
                    "type": "text",
                  },
                ],
                "type": "rich_text_section",
              },
              {
                "elements": [
                  {
                    "text": "UPDATE t SET x = 1 -- <!here>",
                    "type": "text",
                  },
                ],
                "type": "rich_text_preformatted",
              },
            ],
            "type": "rich_text",
          },
          {
            "elements": [
              {
                "action_id": "pgmedic_action:terminate:0",
                "confirm": {
                  "confirm": {
                    "text": "Request approval",
                    "type": "plain_text",
                  },
                  "deny": {
                    "text": "Cancel",
                    "type": "plain_text",
                  },
                  "text": {
                    "text": "Terminate 101 runs only after a second person approves it.",
                    "type": "plain_text",
                  },
                  "title": {
                    "text": "Request approval?",
                    "type": "plain_text",
                  },
                },
                "style": "danger",
                "text": {
                  "emoji": true,
                  "text": "Terminate 101",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "o_opaque1",
              },
            ],
            "type": "actions",
          },
          {
            "elements": [
              {
                "text": "prod · PostgreSQL 18.4 · 12 ms",
                "type": "mrkdwn",
              },
              {
                "text": "Idle in transaction: only terminate helps.",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "text": "Locks: 1 root blocker holding up 2 sessions.",
        "truncated": false,
      }
    `);
  });

  it('lays a second, wide table out one line per row, in rich text (cells shown as they are, never as formatting)', () => {
    const report: Report = {
      ...base,
      sections: [
        { kind: 'table', columns: [{ header: 'pid' }], rows: [['7'], ['8'], ['9']] },
        {
          kind: 'table',
          title: 'Sessions',
          columns: [{ header: 'pid' }, { header: 'app' }, { header: 'query' }],
          rows: [
            ['7', '<!channel>', 'SELECT * FROM accounts WHERE note = `x` AND id IN (SELECT id FROM audit_log_2024)'],
            ['8', '', 'SELECT 1'],
          ],
        },
      ],
    };
    // The table with more rows takes the message's one native table block; this one stays text.
    const [, , native, table] = valid(reportMessage(report, undefined)).blocks;
    expect(native).toMatchObject({ type: 'table' });
    expect(table).toMatchInlineSnapshot(`
      {
        "elements": [
          {
            "elements": [
              {
                "style": {
                  "bold": true,
                },
                "text": "Sessions",
                "type": "text",
              },
            ],
            "type": "rich_text_section",
          },
          {
            "elements": [
              {
                "elements": [
                  {
                    "style": {
                      "bold": true,
                    },
                    "text": "7",
                    "type": "text",
                  },
                  {
                    "text": " — app: <!channel> · query: SELECT * FROM accounts WHERE note = \`x\` AND id IN (SELECT id FROM audit_log_2024)",
                    "type": "text",
                  },
                ],
                "type": "rich_text_section",
              },
              {
                "elements": [
                  {
                    "style": {
                      "bold": true,
                    },
                    "text": "8",
                    "type": "text",
                  },
                  {
                    "text": " — query: SELECT 1",
                    "type": "text",
                  },
                ],
                "type": "rich_text_section",
              },
            ],
            "style": "bullet",
            "type": "rich_text_list",
          },
        ],
        "type": "rich_text",
      }
    `);
  });

  it('never lets database text mention, broadcast or link', () => {
    const evil = '<!channel> <@U123> <https://evil.example|click> & <!subteam^S1>';
    const report: Report = {
      ...base,
      title: evil,
      summary: evil,
      sections: [
        { kind: 'facts', facts: [{ label: evil, value: evil }] },
        { kind: 'text', title: evil, text: evil },
        { kind: 'table', columns: [{ header: 'x' }, { header: evil }], rows: [[evil, evil]] },
      ],
      footnotes: [evil],
    };
    const message = valid(reportMessage(report, evil));
    // Header and rich text are never parsed for mentions or links; everything else is mrkdwn and must be escaped.
    const literal = new Set(['header', 'rich_text', 'table']);
    const mrkdwn =
      JSON.stringify(message.blocks.filter((b) => !literal.has((b as { type: string }).type))) + message.text;
    expect(mrkdwn).not.toMatch(/<[!@#]|<https?:/);
    // raw_text table cells are shown literally, as typed
    const table = message.blocks.find((b) => (b as { type: string }).type === 'table') as {
      rows: { type: string; text: string }[][];
    };
    expect(table.rows.flat().every((cell) => cell.type === 'raw_text')).toBe(true);
    expect(table.rows[1]!.map((cell) => cell.text)).toEqual([evil, evil]);
  });

  it('cuts a long table with "…and N more" and says where the rest went', () => {
    const rows = Array.from({ length: 300 }, (_, i) => [String(i), `relation_${i}`, 'x'.repeat(80)]);
    const report: Report = {
      ...base,
      sections: [
        { kind: 'table', title: 'Big', columns: [{ header: 'n' }, { header: 'relation' }, { header: 'detail' }], rows },
      ],
    };
    const message = valid(reportMessage(report, 'ctx', { overflowNote: 'Full report in the thread.' }));
    expect(message.truncated).toBe(true);
    // Paged as a data table: as many rows as its share of the message's text holds, the rest counted.
    const table = message.blocks.find((b) => b.type === 'data_table') as { rows: unknown[][] };
    const shown = table.rows.length - 1;
    expect(shown).toBeGreaterThan(15);
    expect(JSON.stringify(message.blocks)).toContain(`…and ${300 - shown} more`);
    expect(JSON.stringify(message.blocks.at(-1))).toContain('Full report in the thread.');
    // Where tables stay text, the same table is cut at 15 rows.
    const text = valid(
      reportMessage(report, 'ctx', { nativeTable: false, overflowNote: 'Full report in the thread.' }),
    );
    expect(JSON.stringify(text.blocks)).toContain('…and 285 more');
    expect(text.blocks.some((b) => b.type === 'data_table' || b.type === 'table')).toBe(false);
  });

  it('renders the first table as a native table: header row, numbers right-aligned, status in its own column, one per message', () => {
    const table = (title: string) => ({
      kind: 'table' as const,
      title,
      columns: [
        { header: 'table' },
        { header: 'dead', align: 'right' as const },
        { header: 'size', align: 'right' as const },
      ],
      rows: [
        ['starved_events', '8,000', '3.13 MB'],
        ['orders', '12', '89.6 MB'],
        ['quiet', '0', '8 kB'],
      ],
      rowStatus: ['crit' as const, 'warn' as const, 'ok' as const],
    });
    const message = valid(reportMessage({ ...base, sections: [table('Tables'), table('Again')] }, undefined));
    expect(message.blocks.filter((b) => (b as { type: string }).type === 'table')).toHaveLength(1);
    expect(message.blocks.slice(2, 4)).toMatchInlineSnapshot(`
      [
        {
          "elements": [
            {
              "elements": [
                {
                  "style": {
                    "bold": true,
                  },
                  "text": "Tables",
                  "type": "text",
                },
              ],
              "type": "rich_text_section",
            },
          ],
          "type": "rich_text",
        },
        {
          "column_settings": [
            {
              "align": "left",
              "is_wrapped": true,
            },
            {
              "align": "left",
              "is_wrapped": true,
            },
            {
              "align": "right",
            },
            {
              "align": "right",
            },
          ],
          "rows": [
            [
              {
                "text": "status",
                "type": "raw_text",
              },
              {
                "text": "table",
                "type": "raw_text",
              },
              {
                "text": "dead",
                "type": "raw_text",
              },
              {
                "text": "size",
                "type": "raw_text",
              },
            ],
            [
              {
                "elements": [
                  {
                    "elements": [
                      {
                        "name": "bangbang",
                        "type": "emoji",
                      },
                    ],
                    "type": "rich_text_section",
                  },
                ],
                "type": "rich_text",
              },
              {
                "text": "starved_events",
                "type": "raw_text",
              },
              {
                "text": "8,000",
                "type": "raw_text",
              },
              {
                "text": "3.13 MB",
                "type": "raw_text",
              },
            ],
            [
              {
                "elements": [
                  {
                    "elements": [
                      {
                        "name": "warning",
                        "type": "emoji",
                      },
                    ],
                    "type": "rich_text_section",
                  },
                ],
                "type": "rich_text",
              },
              {
                "text": "orders",
                "type": "raw_text",
              },
              {
                "text": "12",
                "type": "raw_text",
              },
              {
                "text": "89.6 MB",
                "type": "raw_text",
              },
            ],
            [
              {
                "text": "–",
                "type": "raw_text",
              },
              {
                "text": "quiet",
                "type": "raw_text",
              },
              {
                "text": "0",
                "type": "raw_text",
              },
              {
                "text": "8 kB",
                "type": "raw_text",
              },
            ],
          ],
          "type": "table",
        },
      ]
    `);
    expect(JSON.stringify(message.blocks[4])).toContain('starved_events'); // the second table, as text
  });

  it('drops trailing sections that do not fit in 50 blocks or the text budget, and says so', () => {
    const sections = Array.from({ length: 80 }, (_, i) => ({
      kind: 'text' as const,
      title: `Part ${i}`,
      text: 'y'.repeat(400),
    }));
    const message = valid(reportMessage({ ...base, sections }, undefined));
    expect(message.truncated).toBe(true);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(JSON.stringify(message.blocks.at(-1))).toMatch(/…and \d+ more sections that did not fit/);
  });

  it('offers follow-up buttons only for rows the table shows, in one actions block of at most 25, and only with a target', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [String(i + 1), String(1_000_000 + i)]);
    const report: Report = {
      ...base,
      sections: [{ kind: 'table', columns: [{ header: '#' }, { header: 'queryid' }], rows }],
      followUps: rows.map((row, i) => ({ command: 'explain', args: [row[1]!], label: `Explain #${row[0]}`, row: i })),
    };
    const explainButtons = (message: { blocks: unknown[] }) =>
      message.blocks.flatMap((b) =>
        (b as { type: string }).type === 'actions'
          ? (b as { elements: { action_id: string; value: string; text: { text: string } }[] }).elements
          : [],
      );
    expect(explainButtons(valid(reportMessage(report, undefined)))).toEqual([]);
    // As text the table shows 15 rows: 15 buttons.
    const fifteen = explainButtons(
      valid(reportMessage(report, undefined, { followUpTarget: 'prod', nativeTable: false })),
    );
    expect(fifteen.map((b) => [b.text.text, b.value])).toEqual(
      rows.slice(0, 15).map((row) => [`Explain #${row[0]}`, `prod:${row[1]}`]),
    );
    // As a data table it pages all 100 rows: one actions block of 25.
    const paged = valid(reportMessage(report, undefined, { followUpTarget: 'prod' }));
    expect((paged.blocks.find((b) => b.type === 'data_table') as { rows: unknown[] }).rows).toHaveLength(101);
    expect(paged.blocks.filter((b) => b.type === 'actions')).toHaveLength(1);
    expect(explainButtons(paged)).toHaveLength(LIMITS.actionsElements);
    expect(new Set(explainButtons(paged).map((b) => b.action_id)).size).toBe(LIMITS.actionsElements);
    // A data table cut by its text budget: buttons only for the rows it holds.
    const long = {
      ...report,
      sections: [
        {
          kind: 'table' as const,
          columns: [{ header: '#' }, { header: 'queryid' }, { header: 'query' }, { header: 'plan' }],
          rows: rows.map((row) => [...row, 'SELECT '.padEnd(190, 'x'), 'Seq Scan '.padEnd(190, 'y')]),
        },
      ],
    };
    const cut = valid(reportMessage(long, undefined, { followUpTarget: 'prod' }));
    const held = (cut.blocks.find((b) => b.type === 'data_table') as { rows: unknown[] }).rows.length - 1;
    expect(held).toBeLessThan(25);
    expect(explainButtons(cut).map((b) => b.text.text)).toEqual(rows.slice(0, held).map((row) => `Explain #${row[0]}`));
  });

  it('clips every element to its limit', () => {
    const long = 'z'.repeat(5000);
    const facts = Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: long }));
    const actions = Array.from({ length: 30 }, () => ({ action: 'cancel' as const, label: long, params: {} }));
    const message = valid(
      reportMessage(
        {
          ...base,
          title: long,
          summary: long,
          sections: [
            { kind: 'facts', facts },
            { kind: 'code', text: long },
          ],
          actions,
          footnotes: Array.from({ length: 12 }, () => 'note'),
        },
        long,
        { actions: { values: actions.map((_, i) => `o_${i}`) } },
      ),
    );
    expect(message.text.length).toBeLessThanOrEqual(LIMITS.messageText);
  });
});

describe('blockKitProblems', () => {
  it('finds what Slack would refuse', () => {
    const problems = blockKitProblems({
      text: 'x'.repeat(4001),
      blocks: [
        { type: 'header', text: { type: 'mrkdwn', text: 'h'.repeat(151) } },
        { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b' } },
            {
              type: 'button',
              action_id: 'a',
              text: { type: 'plain_text', text: 'b'.repeat(76) },
              value: 'v'.repeat(2001),
            },
          ],
        },
        { type: 'mystery' },
        {
          type: 'table',
          rows: [
            [
              { type: 'raw_text', text: 'a' },
              { type: 'raw_text', text: '' },
            ],
            [{ type: 'mrkdwn', text: '*b*' }],
          ],
        },
        {
          type: 'table',
          rows: Array.from({ length: 101 }, () => [{ type: 'raw_text', text: 'r' }]),
          column_settings: Array.from({ length: 21 }, () => ({ align: 'right' })),
        },
      ],
    });
    expect(
      blockKitProblems({ blocks: [{ type: 'table', rows: [[{ type: 'raw_text', text: 'a' }]] }] }, 'home'),
    ).toEqual(['table blocks appear only in messages, not in a home']);
    expect(problems).toMatchInlineSnapshot(`
      [
        "text is 4001 characters, more than 4000",
        "2 table blocks, more than 1",
        "block 0 (header): header text must be plain_text",
        "block 0 (header): header text longer than 150",
        "block 1 (section): 11 fields, more than 10",
        "block 2 (actions): duplicate action_id a",
        "block 2 (actions): button text must be 1–75 characters",
        "block 2 (actions): button value longer than 2000",
        "block 3 (mystery): unknown block type",
        "block 4 (table): rows have different numbers of cells",
        "block 4 (table): an empty raw_text cell",
        "block 4 (table): a cell must be raw_text, raw_number or rich_text",
        "block 5 (table): 101 rows, more than 100",
        "block 5 (table): more than 20 column settings",
      ]
    `);
  });
});

describe('homeView', () => {
  it('shows each target with its last known status and the commands', () => {
    const now = new Date('2025-01-01T12:00:00Z');
    const view = valid(
      homeView({
        targets: [
          {
            name: 'prod',
            status: {
              status: 'crit',
              summary: '3 root blockers <!here>',
              command: 'locks',
              at: new Date('2025-01-01T11:58:00Z'),
              serverVersion: '18.4',
            },
          },
          { name: 'replica', status: undefined },
        ],
        commands: [{ name: 'locks', summary: 'Who blocks whom' }],
        invocation: '/pg',
        now,
      }),
      'home',
    );
    expect(view.blocks.slice(3, 6)).toMatchInlineSnapshot(`
      [
        {
          "text": {
            "text": "*Targets*",
            "type": "mrkdwn",
          },
          "type": "section",
        },
        {
          "text": {
            "text": ":red_circle: *prod* — 3 root blockers &lt;!here&gt;
      _\`locks\`, 2m ago · PostgreSQL 18.4_",
            "type": "mrkdwn",
          },
          "type": "section",
        },
        {
          "text": {
            "text": ":white_circle: *replica* — not checked yet",
            "type": "mrkdwn",
          },
          "type": "section",
        },
      ]
    `);
  });
});
