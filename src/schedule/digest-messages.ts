import { formatCount, plural, truncate } from '../report/format.js';
import type { Fact, Report, Section, Status } from '../report/model.js';
import { renderText, type TextStyle } from '../report/text.js';
import type { Digest, DigestPiece, TargetDigest } from './digest-model.js';
import { describeOffender, targetStatus } from './offenders.js';
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
  const statusFacts = digest.targets.map(
    (t): Fact => ({ label: t.target, value: truncate(t.statusLine, STATUS_LINE_MAX), status: t.status ?? 'crit' }),
  );
  return {
    title: digest.title,
    status: digest.status,
    summary: headline(digest),
    sections: [
      { kind: 'facts', title: 'Health', facts: statusFacts },
      ...digest.targets.filter((t) => t.reachable).map(highlights),
    ],
    actions: [],
    footnotes: digest.targets.some((t) => t.pieces.length)
      ? ['Each section’s full report, with its action buttons, is in the thread.']
      : [],
  };
}

/** Offenders named in the headline; the rest are counted ("and 2 more"), and every one is in the thread. */
const HEADLINE_OFFENDERS = 3;

/**
 * What a team reads first: how many targets need attention, then the worst offenders with their figures.
 * "All OK" only when every target answered and every section of every target is OK.
 */
export function headline(digest: Digest): string {
  const unreachable = digest.targets.filter((t) => !t.reachable);
  const problems = digest.targets.filter((t) => t.reachable && targetStatus(t) !== 'ok');
  const counts = [
    plural(digest.targets.length, 'target'),
    problems.length
      ? `${formatCount(problems.length)} need${problems.length === 1 ? 's' : ''} attention`
      : unreachable.length === digest.targets.length
        ? null
        : unreachable.length
          ? 'all reachable ones OK'
          : 'all OK',
    unreachable.length
      ? `${formatCount(unreachable.length)} could not be reached (${truncate(unreachable.map((t) => t.target).join(', '), 80)})`
      : null,
  ]
    .filter(Boolean)
    .join(', ');
  const named = problems.flatMap((t) => namedProblems(t, digest.targets.length > 1));
  named.sort((a, b) => b.rank - a.rank || b.severity - a.severity);
  if (!named.length) return `${counts}.`;
  const shown = named.slice(0, HEADLINE_OFFENDERS).map((n) => truncate(n.text, OFFENDER_MAX));
  const more = named.length > shown.length ? `; and ${formatCount(named.length - shown.length)} more` : '';
  return `${counts}: ${shown.join('; ')}${more}.`;
}

const OFFENDER_MAX = 160;
const RANK: Record<Status, number> = { ok: 0, warn: 1, crit: 2 };

interface Named {
  rank: number;
  severity: number;
  text: string;
}

/** The target's offenders; and any trouble they do not name (a failed section, another command, health) in its own words. */
function namedProblems(t: TargetDigest, withTarget: boolean): Named[] {
  const on = (text: string) => (withTarget ? `${t.target} · ${text}` : text);
  const covered = new Set(t.offenders.flatMap((o) => o.sources));
  const unnamed = t.pieces.filter((p) => !p.report || (p.report.status !== 'ok' && !covered.has(p.command)));
  const health =
    t.status !== 'ok' && !t.pieces.some((p) => p.command === 'health')
      ? [{ rank: RANK[t.status ?? 'crit'], severity: 0, text: on(`health: ${t.statusLine}`) }]
      : [];
  return [
    ...t.offenders.map((o) => ({
      rank: RANK[o.status],
      severity: o.severity,
      text: describeOffender(o, withTarget ? t.target : undefined),
    })),
    ...unnamed.map((p) => ({
      rank: RANK[p.report?.status ?? 'warn'],
      severity: 0,
      text: on(
        p.report
          ? `${p.report.title}: ${p.report.reasons?.[0] ?? p.report.summary}`
          : `the ${p.command} section failed`,
      ),
    })),
    ...health,
  ];
}

function highlights(target: TargetDigest): Section {
  const lines = [
    ...target.pieces.map(
      (p) => `• ${p.report ? `${p.report.title}: ${p.report.summary}` : `${p.command}: failed (${p.error})`}`,
    ),
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
  return {
    text: `${target.target} · ${report.title}: ${report.summary}`,
    report,
    target: target.target,
    context: `${target.target}${version} · ${piece.elapsedMs} ms`,
  };
}

/** The CLI rendering: the summary, then every section's report under its target. */
export function renderDigestText(digest: Digest, style: TextStyle): string {
  const { main, thread } = digestMessages(digest);
  // The thread footnote is Slack's; on a terminal the sections simply follow.
  return [
    renderText({ ...main.report, footnotes: [] }, main.context, style),
    ...thread.map((m) => renderText({ ...m.report, title: `${m.target} · ${m.report.title}` }, m.context, style)),
  ].join('\n\n');
}
