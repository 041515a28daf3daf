import type { Pool } from '../../db/driver.js';
import {
  readCheckpointCounters,
  readDatabaseCounters,
  readRelationSizes,
  readReplication,
  readServerClock,
  readStatementCounters,
  readStatementTexts,
  type Snapshot,
} from '../../db/counters.js';
import type { Target } from '../../db/targets.js';
import { withoutPasswords } from '../../redact/query-text.js';
import { storedTextIds, writeHistorySnapshot } from '../../state/history.js';

/** The costliest statements kept per snapshot (the rest is one "all others" bucket). */
export const SNAPSHOT_STATEMENTS = 500;
/** The largest tables whose sizes are kept per snapshot. */
export const SNAPSHOT_RELATIONS = 100;

/** How much of a target a snapshot keeps (tests lower it to make a workload spill into the "all others" bucket). */
export interface SnapshotLimits {
  statements: number;
}

const DEFAULT_LIMITS: SnapshotLimits = { statements: SNAPSHOT_STATEMENTS };

/**
 * Reads one snapshot of a target in its read-only diagnostic session (pg_monitor suffices). Statement texts are
 * fetched only for queryids the state database does not hold yet, passwords masked; none for a target whose
 * query text is `hidden`.
 */
export async function captureSnapshot(
  target: Target,
  state: Pick<Pool, 'query'>,
  limits: SnapshotLimits = DEFAULT_LIMITS,
): Promise<{ snapshot: Snapshot; texts: Map<string, string> }> {
  const caps = await target.capabilities();
  return target.readOnly('snapshot', async (session) => {
    const clock = await readServerClock(session);
    const statements = await readStatementCounters(session, caps, limits.statements);
    const snapshot: Snapshot = {
      target: target.name,
      takenAt: clock.takenAt,
      serverVersionNum: caps.serverVersionNum,
      inRecovery: clock.inRecovery,
      postmasterStart: clock.postmasterStart,
      statements,
      databases: await readDatabaseCounters(session),
      checkpoints: await readCheckpointCounters(session),
      relations: await readRelationSizes(session, SNAPSHOT_RELATIONS),
      replication: await readReplication(session, clock.inRecovery),
    };
    const texts = new Map<string, string>();
    if ('entries' in statements && target.config.queryText !== 'hidden') {
      const ids = [...new Set(statements.entries.map((e) => e.queryId))];
      const known = await storedTextIds(state, target.name, ids);
      const missing = ids.filter((id) => !known.has(id));
      for (const [id, text] of await readStatementTexts(session, caps, missing)) texts.set(id, withoutPasswords(text));
    }
    return { snapshot, texts };
  });
}

/** Captures and stores one snapshot; returns its id and what was stored. */
export async function takeSnapshot(
  target: Target,
  state: Pool,
  limits: SnapshotLimits = DEFAULT_LIMITS,
): Promise<{ id: string; snapshot: Snapshot; texts: number }> {
  const { snapshot, texts } = await captureSnapshot(target, state, limits);
  const id = await writeHistorySnapshot(state, snapshot, texts);
  return { id, snapshot, texts: texts.size };
}
