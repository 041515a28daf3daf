import type { Target } from '../../src/db/targets.js';
import type { HistoryReader } from '../../src/engine/history.js';
import { parseOptions } from '../../src/engine/options.js';
import { findCommand } from '../../src/engine/registry.js';
import { runCommand, type RunResult } from '../../src/engine/run.js';

/** Runs a command by name with typed option tokens and, like the bot and the CLI, the query history. */
export async function runWithHistory(
  target: Target,
  name: string,
  tokens: string[],
  history?: HistoryReader,
): Promise<RunResult> {
  const command = findCommand(name);
  return runCommand({ command, target, options: parseOptions(command, tokens), history });
}

export const slowQueries = (target: Target, tokens: string[], history?: HistoryReader) =>
  runWithHistory(target, 'slow-queries', tokens, history);
