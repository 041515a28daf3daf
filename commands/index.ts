import type { AnyCommand } from '../src/engine/command.js';
import bloat from './bloat.js';
import connections from './connections.js';
import database from './database.js';
import explain from './explain.js';
import health from './health.js';
import indexes from './indexes.js';
import locks from './locks.js';
import performance from './performance/with-history.js';
import replication from './replication.js';
import sequences from './sequences.js';
import sizes from './sizes.js';
import slowQueries from './slow-queries/with-history.js';
import vacuum from './vacuum.js';
import wraparound from './wraparound.js';

/**
 * The explicit list of diagnostics, in the order help shows them; nothing is discovered by globbing. The healing
 * actions are listed in actions/index.ts; src/engine/registry.ts joins the two.
 */
export const COMMANDS: readonly AnyCommand[] = [
  // diagnostics, roughly in the order an incident reaches for them
  health,
  locks,
  connections,
  slowQueries,
  explain,
  replication,
  vacuum,
  bloat,
  indexes,
  wraparound,
  sequences,
  sizes,
  database,
  performance,
];
