import type { AnyCommand } from '../src/engine/command.js';
import vacuum from './vacuum.js';
import bloat from './bloat.js';
import analyze from './analyze.js';
import cancel from './cancel.js';
import dropIndex from './drop-index.js';
import reindex from './reindex.js';
import terminate from './terminate.js';
import vacuumTable from './vacuum-table.js';
import connections from './connections.js';
import database from './database.js';
import health from './health.js';
import indexes from './indexes.js';
import locks from './locks.js';
import performance from './performance.js';
import replication from './replication.js';
import sequences from './sequences.js';
import sizes from './sizes.js';
import slowQueries from './slow-queries.js';
import wraparound from './wraparound.js';

/** The explicit list of commands; nothing is discovered by globbing. */
export const COMMANDS: readonly AnyCommand[] = [vacuum, replication, indexes, slowQueries, bloat, health, locks, performance, sequences, wraparound, connections, database, sizes, cancel, terminate, vacuumTable, analyze, reindex, dropIndex];
