import type { ReportContext } from '../../src/engine/command.js';
import { formatCount, formatDuration, plural } from '../../src/report/format.js';
import { worstStatus, type Fact, type Report } from '../../src/report/model.js';
import type { HealthCheckName, HealthFindings } from '../health.js';
import { MIN_CACHE_BLOCKS } from './checks.js';

export function healthReport(
  findings: HealthFindings,
  { serverVersion }: Pick<ReportContext<unknown>, 'serverVersion'>,
): Report {
  const problems = findings.checks.filter((c) => c.status !== 'ok');
  const status = worstStatus(...findings.checks.map((c) => c.status));
  const summary = problems.length
    ? `${plural(problems.length, 'check')} need${problems.length === 1 ? 's' : ''} attention: ${problems.map((p) => withNext(p.detail, p.next)).join('; ')}.`
    : `OK: ${findings.role} on PostgreSQL ${serverVersion}, up ${formatDuration(findings.uptimeSeconds)}; nothing needs attention.`;
  const nextCommands = [...new Set(problems.flatMap((p) => (p.next ? [p.next] : [])))];
  return {
    title: 'Health',
    status,
    summary,
    sections: [
      {
        kind: 'facts',
        facts: [
          { label: 'Reachable', value: 'yes' },
          { label: 'Version', value: `PostgreSQL ${serverVersion}` },
          { label: 'Role', value: findings.role },
          { label: 'Uptime', value: formatDuration(findings.uptimeSeconds) },
        ],
      },
      {
        kind: 'facts',
        title: 'Checks',
        facts: findings.checks.map((c): Fact => ({ label: CHECK_LABELS[c.name], value: c.detail, status: c.status })),
      },
      ...(nextCommands.length
        ? [
            {
              kind: 'text' as const,
              title: 'Next',
              text: nextCommands.map((n) => `Run \`${n}\` for detail.`).join('\n'),
            },
          ]
        : []),
    ],
    actions: [],
    footnotes: [
      ...(findings.cacheHitPct !== null && findings.cacheBlocks < MIN_CACHE_BLOCKS
        ? [`The cache hit ratio covers only ${formatCount(findings.cacheBlocks)} block reads so far and is not judged.`]
        : []),
      // The limits statement counts a session it cannot see the type of, so a full limit is never missed.
      ...(findings.connections.limitsAtWarn.length && !findings.connections.canSeeAllSessions
        ? [
            "pgmedic's role cannot see the type of other roles' sessions, so the connection-limit count may include their walsenders and workers; grant pg_monitor (or pg_read_all_stats).",
          ]
        : []),
    ],
  };
}
const CHECK_LABELS: Record<HealthCheckName, string> = {
  connections: 'Connections',
  locks: 'Locks',
  oldestTransaction: 'Oldest transaction',
  xidAge: 'XID age',
  cacheHit: 'Cache hit ratio',
  replication: 'Replication',
};

/** "detail (run `x`)"; inside the detail's own closing parenthesis when it ends with one, never ") (". */
function withNext(detail: string, next: string | null | undefined): string {
  if (!next) return detail;
  return detail.endsWith(')') ? `${detail.slice(0, -1)}; run \`${next}\`)` : `${detail} (run \`${next}\`)`;
}
