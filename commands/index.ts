import type { AnyCommand } from '../src/engine/command.js';
import locks from './locks.js';

/** The explicit list of commands; nothing is discovered by globbing. */
export const COMMANDS: readonly AnyCommand[] = [locks];
