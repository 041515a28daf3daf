import type { AnyCommand } from '../src/engine/command.js';
import analyze from './analyze.js';
import bloat from './bloat.js';
import cancel from './cancel.js';
import connections from './connections.js';
import database from './database.js';
import dropIndex from './drop-index.js';
import explain from './explain.js';
import health from './health.js';
import indexes from './indexes.js';
import locks from './locks.js';
import performance from './performance.js';
import reindex from './reindex.js';
import replication from './replication.js';
import sequences from './sequences.js';
import sizes from './sizes.js';
import slowQueries from './slow-queries.js';
import terminate from './terminate.js';
import vacuum from './vacuum.js';
import vacuumTable from './vacuum-table.js';
import wraparound from './wraparound.js';

/** The explicit list of commands, in the order help shows them; nothing is discovered by globbing. */
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
  // healing actions (run only after approval)
  cancel,
  terminate,
  vacuumTable,
  analyze,
  reindex,
  dropIndex,
];
