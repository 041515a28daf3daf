import { targetSchema, type TargetConfig } from '../../src/config/schema.js';
import { createTarget, type Target } from '../../src/db/targets.js';
import { parseOptions } from '../../src/engine/options.js';
import { findCommand } from '../../src/engine/registry.js';
import { runCommand, type RunResult } from '../../src/engine/run.js';

export function testTarget(url: string, overrides: Partial<TargetConfig> = {}): Target {
  return createTarget(targetSchema.parse({ name: 'test', url, ...overrides }));
}

/** Runs a command the way the CLI and Slack do: by name, with typed-in option tokens. */
export async function run(target: Target, command: string, tokens: string[] = []): Promise<RunResult> {
  const definition = findCommand(command);
  return runCommand({ command: definition, target, options: parseOptions(definition, tokens) });
}
