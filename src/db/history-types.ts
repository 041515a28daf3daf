import type { Snapshot, SnapshotHead } from './counters.js';

/**
 * The query history as commands see it (`--since`, `--regressed`): read-only, one target. Implemented over the
 * state database (src/state/history-reader.ts), handed to runCommand (src/engine/history.ts re-exports it) by the surfaces that have one, so
 * commands never import src/state.
 */
export interface TargetHistory {
  /**
   * The snapshot a window starting at `at` begins with: the newest taken at or before it, else the oldest
   * (`coversWindow: false`); undefined when there is none. `withStatements`: only snapshots that recorded
   * pg_stat_statements.
   */
  baseline(at: Date, options?: { withStatements?: boolean }): Promise<SnapshotHead | undefined>;
  snapshot(id: string): Promise<Snapshot | undefined>;
  /** Stored statement texts by queryid. */
  texts(queryIds: readonly string[]): Promise<Map<string, string>>;
}

/** The history of each target, by name. */
export type HistoryReader = (target: string) => TargetHistory;
