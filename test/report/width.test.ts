import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/report/text.js';
import { displayWidth, prepareDisplayWidth } from '../../src/report/width.js';

describe('display width', () => {
  it('measures narrow text by length without loading string-width, wide text by terminal columns once prepared', async () => {
    expect(displayWidth('orders – 4.1× past its trigger ’ → ≥')).toBe('orders – 4.1× past its trigger ’ → ≥'.length);
    await prepareDisplayWidth('注文');
    expect(displayWidth('注文🚀')).toBe(6);
    expect(displayWidth('👨‍👩‍👧')).toBe(2); // one grapheme: a ZWJ family is one emoji
    expect(displayWidth('e\u0301te\u0301')).toBe(3); // combining accents take no column
    expect(displayWidth('\u00ad')).toBe(0); // the soft hyphen is not in the narrow set
  });

  it('pads table cells to the same terminal column whatever their characters', async () => {
    await prepareDisplayWidth();
    const text = renderText(
      {
        title: 't',
        status: 'ok',
        summary: '',
        sections: [
          {
            kind: 'table',
            columns: [{ header: 'table' }, { header: 'size', align: 'right' }],
            rows: [
              ['注文🚀', '5 MB'],
              ['orders', '12 MB'],
              ['café', '1 kB'],
            ],
          },
        ],
        actions: [],
        footnotes: [],
      },
      undefined,
      { color: false },
    );
    const rows = text.split('\n').filter((line) => line.startsWith('  '));
    expect(rows.map(displayWidth)).toEqual([15, 15, 15, 15]); // 2 + the widest name (6) + 2 + the widest size (5)
  });
});
