import { plural, truncate } from '../report/format.js';
import type { Fact, Report, Section } from '../report/model.js';
import { renderText, type TextStyle } from '../report/text.js';
import type { Digest, DigestPiece, TargetDigest } from './digest-model.js';
import type { OutgoingMessage } from './poster.js';

/** Status lines longer than this are cut in the summary (the thread has the full report). */
const STATUS_LINE_MAX = 280;

/** The digest as Slack-sized messages: one readable summary, and one thread reply per section per target. */
export function digestMessages(digest: Digest): { main: OutgoingMessage; thread: OutgoingMessage[] } {
  const report = summaryReport(digest);
  return {
    main: { text: `${digest.title}: ${report.summary}`, report, context: `${digest.day} · ${digest.elapsedMs} ms` },
    thread: digest.targets.flatMap((t) => t.pieces.map((piece) => pieceMessage(t, piece))),
  };
}

export function summaryReport(digest: Digest): Report {
  const unreachable = digest.targets.filter((t) => !t.reachable).length;
  const problems = digest.targets.filter((t) => t.reachable && t.status !== 'ok').length;
  const summary = [
    `${plural(digest.targets.length, 'target')}`,
    problems ? `${problems} need${problems === 1 ? 's' : ''} attention` : unreachable === digest.targets.length ? null : 'all reachable ones OK',
    unreachable ? `${unreachable} could not be reached` : null,
  ].filter(Boolean).join(', ');
  const statusFacts = digest.targets.map((t): Fact => ({ label: t.target, value: truncate(t.statusLine, STATUS_LINE_MAX), status: t.status ?? 'crit' }));
  return {
    title: digest.title,
    status: digest.status,
    summary: `${summary}.`,
    sections: [{ kind: 'facts', title: 'Health', facts: statusFacts }, ...digest.targets.filter((t) => t.reachable).map(highlights)],
    actions: [],
    footnotes: digest.targets.some((t) => t.pieces.length) ? ['Each section’s full report, with its action buttons, is in the thread.'] : [],
  };
}

function highlights(target: TargetDigest): Section {
  const lines = [
    ...target.pieces.map((p) => `• ${p.report ? `${p.report.title}: ${p.report.summary}` : `${p.command}: failed (${p.error})`}`),
    ...target.trends.map((e) => `• Trend: ${e.text}`),
  ];
  return { kind: 'text', title: target.target, text: lines.join('\n') || 'No sections configured.' };
}

function pieceMessage(target: TargetDigest, piece: DigestPiece): OutgoingMessage {
  const report: Report = piece.report ?? {
    title: piece.command,
    status: 'warn',
    summary: `The ${piece.command} section failed: ${piece.error}`,
    sections: [],
    actions: [],
    footnotes: [],
  };
  const version = target.serverVersion ? ` · PostgreSQL ${target.serverVersion}` : '';
  return { text: `${target.target} · ${report.title}: ${report.summary}`, report, target: target.target, context: `${target.target}${version} · ${piece.elapsedMs} ms` };
}

/** The CLI rendering: the summary, then every section's report under its target. */
export function renderDigestText(digest: Digest, style: TextStyle): string {
  const { main, thread } = digestMessages(digest);
  // The thread footnote is Slack's; on a terminal the sections simply follow.
  return [renderText({ ...main.report, footnotes: [] }, main.context, style), ...thread.map((m) => renderText({ ...m.report, title: `${m.target} · ${m.report.title}` }, m.context, style))].join('\n\n');
}
