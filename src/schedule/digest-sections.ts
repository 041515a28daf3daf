import { AppError } from '../errors.js';
import type { AnyCommand } from '../engine/command.js';
import { parseOptions } from '../engine/options.js';
import { findCommand } from '../engine/registry.js';
import type { SectionSpec } from './digest-model.js';

/** The daily digest: bloat (top tables and indexes, total) and vacuum (behind, xmin horizon, wraparound). */
export const DEFAULT_SECTIONS: readonly SectionSpec[] = [
  { command: 'bloat', tokens: ['--limit', '5'] },
  { command: 'vacuum', tokens: ['--limit', '5'] },
];

export interface ResolvedSection {
  command: AnyCommand;
  options: Record<string, unknown>;
}

/** Checks every section once, up front: a typo in the config fails at start, not at 7 a.m. */
export function resolveSections(specs: readonly SectionSpec[]): ResolvedSection[] {
  return specs.map((spec) => {
    const command = findCommand(spec.command);
    if (command.kind !== 'diagnostic') {
      throw new AppError(
        'config_invalid',
        `Digest section "${spec.command}" is an action; only diagnostics can be digest sections.`,
      );
    }
    return { command, options: parseOptions(command, spec.tokens) };
  });
}

/** "bloat --limit 5" → { command: 'bloat', tokens: ['--limit', '5'] } (the YAML and `/pg digest` spelling). */
export function parseSectionSpec(text: string): SectionSpec {
  const [command, ...tokens] = text.trim().split(/\s+/);
  return { command: command ?? '', tokens };
}
