import type { RunResult } from '../engine/run.js';
import type { Report, Section, Status } from './model.js';
import { applyQueryText } from './query-text.js';
import { displayWidth } from './width.js';

export interface TextStyle {
  color: boolean;
}

const COLORS: Record<Status, string> = { ok: '\x1b[32m', warn: '\x1b[33m', crit: '\x1b[31m' };
const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const LABEL: Record<Status, string> = { ok: 'OK', warn: 'WARN', crit: 'CRIT' };

/** Terminal rendering of a Report: aligned tables, colour when the output is a TTY. */
export function renderText(unsafe: Report, unsafeFooter: string | undefined, style: TextStyle): string {
  const report = printableReport(applyQueryText(unsafe));
  const footer = unsafeFooter === undefined ? undefined : printable(unsafeFooter);
  const paint = (code: string, text: string) => (style.color ? `${code}${text}${RESET}` : text);
  const lines = [
    `${paint(BOLD + COLORS[report.status], `[${LABEL[report.status]}]`)} ${paint(BOLD, report.title)}`,
    report.summary,
    ...(report.status !== 'ok' && report.reasons?.length ? [`why: ${report.reasons.join('; ')}`] : []),
    '',
  ];
  for (const section of report.sections) lines.push(...renderSection(section, paint), '');
  if (report.actions.length) {
    lines.push(paint(BOLD, 'Suggested actions'));
    for (const action of report.actions) lines.push(`  • ${action.label}`);
    lines.push('');
  }
  for (const next of report.followUps ?? []) lines.push(`next: pgmedic ${[next.command, ...next.args].join(' ')}`);
  if (report.followUps?.length) lines.push('');
  for (const note of report.footnotes) lines.push(paint(DIM, `note: ${note}`));
  if (footer) lines.push(paint(DIM, footer));
  return lines.join('\n').trimEnd();
}

function renderSection(section: Section, paint: (code: string, text: string) => string): string[] {
  const title = section.title ? [paint(BOLD, section.title)] : [];
  switch (section.kind) {
    case 'facts': {
      const width = Math.max(...section.facts.map((f) => displayWidth(f.label)), 0);
      return [
        ...title,
        ...section.facts.map(
          (f) =>
            `  ${pad(f.label, width, 'left')}  ${f.status && f.status !== 'ok' ? paint(COLORS[f.status], f.value) : f.value}`,
        ),
      ];
    }
    case 'table':
      if (!section.rows.length) return [...title, `  ${section.empty ?? 'none'}`];
      return [
        ...title,
        ...renderTable(
          section.columns.map((c) => c.header),
          section.rows,
          section.columns.map((c) => c.align ?? 'left'),
          paint,
        ),
      ];
    case 'code':
      return [...title, ...section.text.split('\n').map((line) => `    ${line}`)];
    case 'text':
      return [...title, ...section.text.split('\n').map((line) => `  ${line}`)];
  }
}

function renderTable(
  headers: string[],
  rows: string[][],
  aligns: ('left' | 'right')[],
  paint: (code: string, text: string) => string,
): string[] {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]) =>
    `  ${cells
      .map((cell, i) => pad(cell, widths[i]!, aligns[i] ?? 'left'))
      .join('  ')
      .trimEnd()}`;
  return [paint(BOLD, line(headers)), ...rows.map((r) => line(headers.map((_, i) => r[i] ?? '')))];
}

// C0 and C1 controls (ESC starts terminal commands, CR overwrites a line) and bidirectional overrides (text that
// displays in another order than it reads). Tabs and newlines stay where a section is meant to span lines.
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const UNPRINTABLE_IN_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Database text reaches the terminal (a table named "\x1b]0;owned\x07", a query with a carriage return): its
 * control characters are shown escaped, never sent. Also for the one-line Nagios output.
 */
export function printable(text: string, keepLines = false): string {
  return text.replace(
    keepLines ? UNPRINTABLE_IN_LINES : UNPRINTABLE,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function printableReport(report: Report): Report {
  // biome-ignore lint/suspicious/useIterableCallbackReturn: the switch covers every section kind (TypeScript checks it).
  const sections = report.sections.map((section): Section => {
    const title = section.title === undefined ? {} : { title: printable(section.title) };
    switch (section.kind) {
      case 'facts':
        return {
          ...section,
          ...title,
          facts: section.facts.map((f) => ({ ...f, label: printable(f.label), value: printable(f.value) })),
        };
      case 'table':
        return {
          ...section,
          ...title,
          columns: section.columns.map((c) => ({ ...c, header: printable(c.header) })),
          rows: section.rows.map((row) => row.map((cell) => printable(cell))),
          ...(section.empty === undefined ? {} : { empty: printable(section.empty) }),
        };
      case 'code':
      case 'text':
        return { ...section, ...title, text: printable(section.text, true) };
    }
  });
  return {
    ...report,
    title: printable(report.title),
    summary: printable(report.summary),
    sections,
    actions: report.actions.map((a) => ({ ...a, label: printable(a.label) })),
    footnotes: report.footnotes.map((note) => printable(note)),
  };
}

/** Pads to a width in terminal columns: a CJK character or an emoji takes two, a combining accent none. */
function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** "prod · PostgreSQL 18.4 (standby) · 42 ms": the context line every surface shows under a report. */
export function contextLine(result: Pick<RunResult, 'target' | 'meta'>): string {
  return `${result.target} · PostgreSQL ${result.meta.serverVersion}${result.meta.inRecovery ? ' (standby)' : ''} · ${result.meta.elapsedMs} ms`;
}
