import type { Visibility } from '../config/slack.js';
import type { AnyCommand } from '../engine/command.js';
import { suggestion } from '../engine/closest.js';
import { parseOptions } from '../engine/options.js';
import { findCommand } from '../engine/registry.js';
import { AppError } from '../errors.js';
import { unescapeSlackText } from './blocks/escape.js';

export type SlashRequest =
  | { kind: 'help'; command?: string }
  | { kind: 'run'; command: AnyCommand; target: string; options: Record<string, unknown>; visibility?: Visibility };

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
    if (rest[0]) findCommand(rest[0]); // unknown names fail here, with a suggestion
    return { kind: 'help', ...(rest[0] ? { command: rest[0] } : {}) };
  }
  const command = findCommand(first);
  const { visibility, explicitTarget, remaining } = takeSlackFlags(rest);
  let target = explicitTarget;
  const next = remaining[0];
  if (!target && next !== undefined && !next.startsWith('--')) {
    if (context.targetNames.includes(next)) {
      target = next;
      remaining.shift();
    } else if (!command.positionals?.length) {
      throw unknownTarget(next, context.targetNames);
    }
  }
  if (target && !context.targetNames.includes(target)) throw unknownTarget(target, context.targetNames);
  const resolved = target ?? context.defaultTarget;
  if (!resolved) {
    throw new AppError('unknown_target', 'This channel has no default target, so name one.', {
      hint: context.targetNames.length ? `For example \`/pg ${command.name} ${context.targetNames[0]}\`. Targets: ${context.targetNames.map((n) => `\`${n}\``).join(', ')}.` : 'No database target is configured yet (DATABASE_URL or PGMEDIC_CONFIG).',
    });
  }
  return { kind: 'run', command, target: resolved, options: parseOptions(command, remaining), ...(visibility ? { visibility } : {}) };
}

/** Splits on whitespace; phones and macOS turn `--` into a dash, so a leading dash becomes `--` again. */
export function tokenize(text: string): string[] {
  return unescapeSlackText(text)
    .split(/\s+/)
    .filter(Boolean)
    .map((token) => token.replace(/^[—–]+/, '--'));
}

function takeSlackFlags(tokens: string[]): { visibility?: Visibility; explicitTarget?: string; remaining: string[] } {
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
      if (!explicitTarget) throw new AppError('bad_option', '--target needs a value.', { hint: 'For example `--target prod`.' });
    } else remaining.push(token);
  }
  return { ...(visibility ? { visibility } : {}), ...(explicitTarget ? { explicitTarget } : {}), remaining };
}

function unknownTarget(name: string, names: readonly string[]): AppError {
  return new AppError('unknown_target', `There is no target named "${name}".`, {
    hint: names.length ? suggestion(name, names) : 'No database target is configured yet (DATABASE_URL or PGMEDIC_CONFIG).',
  });
}
