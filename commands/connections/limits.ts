import { escapeIdentifier } from '../../src/db/driver.js';
import { formatCount, quotedName } from '../../src/report/format.js';
import type { Section } from '../../src/report/model.js';
import type { ConnectionLimit } from '../shared/connection-limits.js';

/** The table of limits at or past warn; nothing when none is. */
export function limitsSection(full: readonly ConnectionLimit[]): Section[] {
  if (!full.length) return [];
  return [
    {
      kind: 'table',
      title: 'Connection limits',
      columns: [
        { header: 'database / role' },
        { header: 'in use', align: 'right' },
        { header: 'limit', align: 'right' },
      ],
      rows: full.map((l) => [`${l.kind} ${l.name}`, formatCount(l.inUse), formatCount(l.limit)]),
    },
  ];
}

/** What to do about a full limit (the first three; the table lists them all): raise it, or end sessions that hold it. */
export function limitNotes(full: readonly ConnectionLimit[]): string[] {
  return full.slice(0, 3).map((l) => {
    const [what, holders] =
      l.kind === 'database'
        ? ['DATABASE', 'end sessions connected to it (`database` with its name lists them by state)']
        : ['ROLE', "end some of its sessions (By user counts them; the lists above name each session's user)"];
    return `${l.kind === 'database' ? 'Database' : 'Role'} ${quotedName(l.name)}: once its limit is full, PostgreSQL refuses its new sessions (53300, too many connections). Raise it with \`ALTER ${what} ${oneLineIdentifier(l.name)} CONNECTION LIMIT <n>;\` or ${holders}.`;
  });
}

const LINE_BREAKING = /[\p{Cc}\u2028\u2029]/u;

/**
 * The name as SQL that still names it, on one line: a name with a line break or another control character
 * (PostgreSQL allows them) is written as a Unicode-escaped identifier, U&"a\000ab", so it cannot start a line of
 * the note that would read as pgmedic's own.
 */
function oneLineIdentifier(name: string): string {
  if (!LINE_BREAKING.test(name)) return escapeIdentifier(name);
  const escaped = [...name]
    .map((c) =>
      c === '\\' ? '\\\\' : LINE_BREAKING.test(c) ? `\\${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c,
    )
    .join('');
  return `U&${escapeIdentifier(escaped)}`;
}
