import { DEFAULT_QUERY_TEXT_MODE, showQueryText, type QueryTextMode } from '../redact/query-text.js';
import { truncate } from './format.js';
import type { Column, Report, Section } from './model.js';

/** A table column whose cells are query text, cut to `max` characters once redacted. */
export const queryColumn = (header: string, max: number): Column => ({ header, queryText: { max } });

/** A code section showing one query text. */
export const querySection = (title: string, text: string, max: number): Section => ({
  kind: 'code',
  title,
  text,
  queryText: { max },
});

const NO_TEXT = '(no query text)';

/** One query text as `mode` shows it (an action statement that carries one, on the approval card). */
export const shownQueryText = (text: string, mode: QueryTextMode = DEFAULT_QUERY_TEXT_MODE): string =>
  showQueryText(text, mode);

/**
 * The one boundary query text passes before it is shown or stored: every surface (Block Kit, terminal, uploaded
 * files, the approval card, the state database) calls this. Marked cells and sections are redacted by `mode`
 * (the report's own, else redacted) and then cut; the result is marked with the mode it was shown in.
 * Applying it twice changes nothing.
 */
export function applyQueryText(
  report: Report,
  mode: QueryTextMode = report.queryText ?? DEFAULT_QUERY_TEXT_MODE,
): Report {
  return { ...report, queryText: mode, sections: report.sections.map((section) => redactSection(section, mode)) };
}

function redactSection(section: Section, mode: QueryTextMode): Section {
  if (section.kind === 'code' && section.queryText) {
    return { ...section, text: truncate(showQueryText(section.text, mode), section.queryText.max) || NO_TEXT };
  }
  if (section.kind !== 'table' || !section.columns.some((c) => c.queryText)) return section;
  const marks = section.columns.map((c) => c.queryText);
  return {
    ...section,
    rows: section.rows.map((row) =>
      row.map((cell, i) => (marks[i] ? truncate(showQueryText(cell, mode), marks[i].max) : cell)),
    ),
  };
}

/** Findings (JSON output, stored previews): every string under a `query` key redacted by `mode`, at any depth. */
export function redactQueryFields<T>(value: T, mode: QueryTextMode): T {
  return walk(value, mode) as T;
}

function walk(value: unknown, mode: QueryTextMode): unknown {
  if (Array.isArray(value)) return value.map((item) => walk(item, mode));
  if (!value || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === 'query' && typeof item === 'string' ? showQueryText(item, mode) : walk(item, mode),
    ]),
  );
}

/** Whether anything in a run is query text (marked sections or columns, or `query` fields in the findings). */
export function containsQueryText(report: Report, findings: unknown): boolean {
  const marked = report.sections.some(
    (s) => (s.kind === 'code' && s.queryText) || (s.kind === 'table' && s.columns.some((c) => c.queryText)),
  );
  return marked || hasQueryField(findings);
}

function hasQueryField(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasQueryField);
  if (!value || typeof value !== 'object' || value instanceof Date) return false;
  return Object.entries(value).some(
    ([key, item]) => (key === 'query' && typeof item === 'string') || hasQueryField(item),
  );
}
