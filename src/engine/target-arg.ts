import type { AnyCommand } from './command.js';
import { AppError, suggestion } from '../errors.js';

/**
 * The one rule for a target typed as a word, shared by `/pg locks prod` and `pgmedic locks prod`: the first bare
 * word after the command is the target when it names one; otherwise it fills the command's positional, and a
 * command without positionals refuses it as an unknown target. Actions (`terminate 4242 prod`) may name the
 * target after their positional (unless it is free text), and so may a free-text positional of one word (`explain 1234 prod`). Removes the target from `tokens`; undefined means "use the default".
 */
export function takeTarget(
  command: AnyCommand,
  tokens: string[],
  explicit: string | undefined,
  targetNames: readonly string[],
): string | undefined {
  // Never out of free text: in `explain-analyze SELECT * FROM prod` the word is SQL.
  let target =
    explicit ?? (command.kind === 'action' && !command.freeText ? takeTargetAnywhere(tokens, targetNames) : undefined);
  const next = tokens[0];
  if (!target && next !== undefined && !next.startsWith('--')) {
    if (targetNames.includes(next)) {
      target = next;
      tokens.shift();
    } else if (!command.positionals?.length) {
      throw unknownTarget(next, targetNames);
    }
  }
  // `explain 1234 prod`: after a one-word free text (a queryid) a target may follow; after SQL the last word is SQL.
  if (
    !target &&
    command.freeText &&
    tokens.length === 2 &&
    !tokens[0]!.startsWith('--') &&
    targetNames.includes(tokens[1]!)
  )
    target = tokens.pop();
  if (target && !targetNames.includes(target)) throw unknownTarget(target, targetNames);
  return target;
}

/** A bare word naming a target anywhere, except as the value of a `--flag value`. */
function takeTargetAnywhere(tokens: string[], targetNames: readonly string[]): string | undefined {
  const at = tokens.findIndex(
    (token, i) => targetNames.includes(token) && !(tokens[i - 1]?.startsWith('--') && !tokens[i - 1]!.includes('=')),
  );
  return at < 0 ? undefined : tokens.splice(at, 1)[0];
}

export function unknownTarget(name: string, names: readonly string[]): AppError {
  return new AppError('unknown_target', `There is no target named "${name}".`, {
    hint: names.length
      ? suggestion(name, names)
      : 'No database target is configured yet (DATABASE_URL or PGMEDIC_CONFIG).',
  });
}
