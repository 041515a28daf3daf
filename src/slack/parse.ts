import type { TrendDays, TrendMetric } from '../charts/metrics.js';
import type { Visibility } from '../config/slack.js';
import type { AnyCommand } from '../engine/command.js';
import { isExtraCommand } from '../engine/help.js';
import { parseOptions } from '../engine/options.js';
import { findCommand } from '../engine/registry.js';
import { intOption } from '../engine/units.js';
import { takeTarget, unknownTarget } from '../engine/target-arg.js';
import { AppError } from '../errors.js';
import { unescapeSlackText } from './blocks/escape.js';
import { parseTrend } from './trend-parse.js';

export type SlashRequest =
  | { kind: 'help'; command?: string }
  | {
      kind: 'run';
      command: AnyCommand;
      target: string;
      options: Record<string, unknown>;
      visibility?: Visibility;
      tokens: string[];
    }
  | { kind: 'audit'; target?: string; limit: number; visibility?: Visibility }
  | { kind: 'digest'; target?: string; visibility?: Visibility }
  | { kind: 'status'; visibility?: Visibility }
  | { kind: 'trend'; metric: TrendMetric; target: string; days: TrendDays; visibility?: Visibility };

/** `/pg audit` is not a database command: it reads the healing audit log in the state database. */
export const AUDIT_COMMAND = 'audit';
/** `/pg digest [target]` is not a database command either: it runs the digest's sections on every target. */
export const DIGEST_COMMAND = 'digest';
/** `/pg status`: the alert watch across copies (who checks what, when), from the state database. */
export const STATUS_COMMAND = 'status';
/** `/pg trend <metric> [target]`: a chart of the daily snapshots in the state database (src/charts). */
export const TREND_COMMAND = 'trend';
/** `/pg audit --limit N`: bounds declared once, checked like every command option. */
const AUDIT_LIMIT = intOption(1, 200, 20, 'Audit entries to show');

export interface ParseContext {
  targetNames: readonly string[];
  /** The channel's target, else the workspace default. */
  defaultTarget: string | undefined;
}

/** `/pg <command> [target] [options]` → what to run. Pure: raises AppErrors that carry the closest valid choice. */
export function parseSlashText(text: string, context: ParseContext): SlashRequest {
  const tokens = tokenize(text);
  const [first, ...rest] = tokens;
  if (!first || /^(help|--help|-h|\?)$/i.test(first)) {
    if (rest[0] && !isExtraCommand(rest[0])) findCommand(rest[0]); // unknown names fail here, with a suggestion
    return { kind: 'help', ...(rest[0] ? { command: rest[0] } : {}) };
  }
  if (first.toLowerCase() === AUDIT_COMMAND) return parseAudit(rest, context);
  if (first.toLowerCase() === DIGEST_COMMAND) return parseDigest(rest, context);
  if (first.toLowerCase() === TREND_COMMAND) return parseTrend(rest, context);
  if (first.toLowerCase() === STATUS_COMMAND) return parseStatus(rest);
  const command = findCommand(first);
  const { visibility, explicitTarget, remaining } = takeSlackFlags(rest);
  const target = takeTarget(command, remaining, explicitTarget, context.targetNames);
  const resolved = target ?? context.defaultTarget;
  if (!resolved) {
    throw new AppError('unknown_target', 'This channel has no default target, so name one.', {
      hint: context.targetNames.length
        ? `For example \`/pg ${command.name} ${context.targetNames[0]}\`. Targets: ${context.targetNames.map((n) => `\`${n}\``).join(', ')}.`
        : 'No database target is configured yet (DATABASE_URL or PGMEDIC_CONFIG).',
    });
  }
  return {
    kind: 'run',
    command,
    target: resolved,
    options: parseOptions(command, remaining),
    ...(visibility ? { visibility } : {}),
    tokens: remaining,
  };
}

/** `/pg audit [target] [--limit N]`; no target means every target the requester may see. */
function parseAudit(tokens: string[], context: ParseContext): SlashRequest {
  const { visibility, explicitTarget, remaining } = takeSlackFlags(tokens);
  let target = explicitTarget;
  let limit: number | undefined;
  for (let i = 0; i < remaining.length; i++) {
    const token = remaining[i]!;
    if (token === '--limit' || token.startsWith('--limit=')) {
      const value = token.includes('=') ? token.slice('--limit='.length) : remaining[++i];
      const parsed = AUDIT_LIMIT.safeParse(value ?? '');
      if (limit !== undefined || !parsed.success)
        throw new AppError('bad_option', '--limit needs a whole number from 1 to 200, in digits, given once.', {
          hint: 'For example `/pg audit prod --limit 50`.',
        });
      limit = parsed.data;
    } else if (!target && !token.startsWith('--')) target = token;
    else
      throw new AppError('bad_option', `\`audit\` does not take "${token}".`, {
        hint: 'Use `/pg audit [target] [--limit N]`.',
      });
  }
  if (target && !context.targetNames.includes(target)) throw unknownTarget(target, context.targetNames);
  return {
    kind: 'audit',
    ...(target ? { target } : {}),
    limit: limit ?? AUDIT_LIMIT.parse(undefined),
    ...(visibility ? { visibility } : {}),
  };
}

/** `/pg digest [target]`; no target means every target the requester may query. */
function parseDigest(tokens: string[], context: ParseContext): SlashRequest {
  const { visibility, explicitTarget, remaining } = takeSlackFlags(tokens);
  const [first, ...extra] = remaining;
  if (extra.length || (first !== undefined && (explicitTarget || first.startsWith('--')))) {
    throw new AppError('bad_option', `\`digest\` takes only a target.`, { hint: 'Use `/pg digest [target]`.' });
  }
  const target = explicitTarget ?? first;
  if (target && !context.targetNames.includes(target)) throw unknownTarget(target, context.targetNames);
  return { kind: 'digest', ...(target ? { target } : {}), ...(visibility ? { visibility } : {}) };
}

/** `/pg status` takes only --private or --public. */
function parseStatus(tokens: string[]): SlashRequest {
  const { visibility, explicitTarget, remaining } = takeSlackFlags(tokens);
  if (remaining.length || explicitTarget)
    throw new AppError('bad_option', '`status` takes no target or option; it lists every target you may query.', {
      hint: 'Use `/pg status` (or `/pg status --private`).',
    });
  return { kind: 'status', ...(visibility ? { visibility } : {}) };
}

/** Splits on whitespace; phones and macOS turn `--` into a dash, so a leading dash becomes `--` again. */
export function tokenize(text: string): string[] {
  return unescapeSlackText(text)
    .split(/\s+/)
    .filter(Boolean)
    .map((token) => token.replace(/^[—–]+/, '--'));
}

export function takeSlackFlags(tokens: string[]): {
  visibility?: Visibility;
  explicitTarget?: string;
  remaining: string[];
} {
  const remaining: string[] = [];
  let visibility: Visibility | undefined;
  let explicitTarget: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--private') visibility = 'private';
    else if (token === '--public') visibility = 'channel';
    else if (token.startsWith('--target=')) explicitTarget = token.slice('--target='.length);
    else if (token === '--target') {
      explicitTarget = tokens[++i];
      if (!explicitTarget)
        throw new AppError('bad_option', '--target needs a value.', { hint: 'For example `--target prod`.' });
    } else remaining.push(token);
  }
  return { ...(visibility ? { visibility } : {}), ...(explicitTarget ? { explicitTarget } : {}), remaining };
}

export { unknownTarget };
