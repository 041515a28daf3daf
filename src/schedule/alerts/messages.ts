import { formatDuration, plural } from '../../report/format.js';
import type { Report } from '../../report/model.js';
import type { OutgoingMessage } from '../poster.js';
import type { Observation } from './rules.js';
import type { AlertRow } from '../../state/alerts.js';

const seconds = (from: string, to: Date) => Math.max(0, (to.getTime() - Date.parse(from)) / 1000);

/** The alert while it lasts: its summary on top, then the report it comes from with the relevant buttons. */
export function firingMessage(
  target: string,
  o: Observation,
  row: Pick<AlertRow, 'firstSeen' | 'flaps'>,
  at: Date,
  alsoCovers = 0,
): OutgoingMessage {
  // The checks read server-wide views: one look, one alert, for every database of the server watched with it.
  const scope = alsoCovers
    ? ` · server-wide, for ${target} and ${plural(alsoCovers, 'other database')} of its server`
    : '';
  const flapped = row.flaps ? ` (cleared and came back ${row.flaps}×)` : '';
  const report: Report = {
    title: `${o.severity === 'crit' ? 'Critical' : 'Warning'}: ${o.title} on ${target}`,
    status: o.severity,
    summary: `${o.summary} Going on for ${formatDuration(seconds(row.firstSeen, at))}${flapped}.`,
    sections: o.report?.sections ?? [],
    actions: o.report?.actions ?? [],
    footnotes: o.report?.footnotes ?? [],
  };
  return {
    text: `${target}: ${o.title}: ${o.summary}`,
    report,
    target,
    context: `${target}${scope} · alert ${o.key} · since ${row.firstSeen}`,
  };
}

/** What the original message becomes once resolved: no buttons (the problem they acted on is gone). */
export function resolvedMessage(row: AlertRow, at: Date): OutgoingMessage {
  const lasted = formatDuration(seconds(row.firstSeen, at));
  const report: Report = {
    title: `Resolved: ${row.key} on ${row.target}`,
    status: 'ok',
    summary: `Resolved after ${lasted}. It was: ${row.summary}`,
    sections: [],
    actions: [],
    footnotes: [],
  };
  return {
    text: `${row.target}: resolved after ${lasted}: ${row.summary}`,
    report,
    target: row.target,
    context: `${row.target} · alert ${row.key} · ${row.firstSeen} – ${at.toISOString()}`,
  };
}

/** Why a firing alert is closed without being seen to clear: its target is gone, or another target's look took over. */
export type ClosedBecause = { removed: true } | { watchedWith: string };

/**
 * What a firing alert becomes when nothing looks at its target under that name any more (removed by a reload or a
 * discovery, or now watched through another database of its server): closed, not cleared. The note says so, so
 * nobody reads "resolved" as "the problem went away".
 */
export function targetClosedMessage(row: AlertRow, at: Date, because: ClosedBecause): OutgoingMessage {
  const lasted = formatDuration(seconds(row.firstSeen, at));
  const [why, short] =
    'removed' in because
      ? [
          `target ${row.target} was removed from the configuration (config reload or database discovery), so pgmedic no longer watches it`,
          'target removed',
        ]
      : [
          `target ${row.target} is now watched through ${because.watchedWith}, a database of the same server (the checks are server-wide), so a problem still there is raised again on ${because.watchedWith}`,
          `now watched with ${because.watchedWith}`,
        ];
  const note = `Closed after ${lasted}: ${why}. The problem was not seen to clear. It was: ${row.summary}`;
  const report: Report = {
    title: `Closed: ${row.key} on ${row.target} (${short})`,
    status: 'ok',
    summary: note,
    sections: [],
    actions: [],
    footnotes: [],
  };
  return {
    text: `${row.target}: closed, ${short}: ${row.summary}`,
    report,
    target: row.target,
    context: `${row.target} · alert ${row.key} · ${row.firstSeen} – ${at.toISOString()} · ${short}`,
  };
}

/** The reply in the alert's thread when it clears. */
export function resolutionReply(row: AlertRow, at: Date): OutgoingMessage {
  const message = resolvedMessage(row, at);
  return { ...message, ...(row.messageTs ? { threadTs: row.messageTs } : {}) };
}

/** What decides whether the message needs an edit: severity and wording, not the ticking clock. */
export function fingerprintOf(o: Observation): string {
  return `${o.severity}|${o.summary}`;
}
