import type { RunResult } from '../engine/run.js';
import type { Report, Section, Status } from './model.js';
import { applyQueryText } from './query-text.js';

export interface TextStyle {
  color: boolean;
}

const COLORS: Record<Status, string> = { ok: '\x1b[32m', warn: '\x1b[33m', crit: '\x1b[31m' };
const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const LABEL: Record<Status, string> = { ok: 'OK', warn: 'WARN', crit: 'CRIT' };

/** Terminal rendering of a Report: aligned tables, colour when the output is a TTY. */
export function renderText(given: Report, footer: string | undefined, style: TextStyle): string {
  const report = applyQueryText(given);
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
  for (const note of report.footnotes) lines.push(paint(DIM, `note: ${note}`));
  if (footer) lines.push(paint(DIM, footer));
  return lines.join('\n').trimEnd();
}

function renderSection(section: Section, paint: (code: string, text: string) => string): string[] {
  const title = section.title ? [paint(BOLD, section.title)] : [];
  switch (section.kind) {
    case 'facts': {
      const width = Math.max(...section.facts.map((f) => f.label.length), 0);
      return [...title, ...section.facts.map((f) => `  ${f.label.padEnd(width)}  ${f.status && f.status !== 'ok' ? paint(COLORS[f.status], f.value) : f.value}`)];
    }
    case 'table':
      if (!section.rows.length) return [...title, `  ${section.empty ?? 'none'}`];
      return [...title, ...renderTable(section.columns.map((c) => c.header), section.rows, section.columns.map((c) => c.align ?? 'left'), paint)];
    case 'code':
      return [...title, ...section.text.split('\n').map((line) => `    ${line}`)];
    case 'text':
      return [...title, ...section.text.split('\n').map((line) => `  ${line}`)];
  }
}

function renderTable(headers: string[], rows: string[][], aligns: ('left' | 'right')[], paint: (code: string, text: string) => string): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((cell, i) => (aligns[i] === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [paint(BOLD, line(headers)), ...rows.map((r) => line(headers.map((_, i) => r[i] ?? '')))];
}

/** "prod · PostgreSQL 18.4 (standby) · 42 ms": the context line every surface shows under a report. */
export function contextLine(result: Pick<RunResult, 'target' | 'meta'>): string {
  return `${result.target} · PostgreSQL ${result.meta.serverVersion}${result.meta.inRecovery ? ' (standby)' : ''} · ${result.meta.elapsedMs} ms`;
}
