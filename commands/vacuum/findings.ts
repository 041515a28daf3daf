/** Findings of the `vacuum` diagnostic: is autovacuum keeping up, and what stops it. */

/** One table, with autovacuum's own trigger arithmetic. */
export interface VacuumTable {
  /** pg_class.oid as text: report buttons pin it. */
  oid: string;
  schema: string;
  table: string;
  /** n_dead_tup: what autovacuum compares with the trigger. */
  deadTuples: number;
  liveTuples: number;
  /** pg_class.reltuples (-1 when never vacuumed or analyzed; autovacuum then counts it as 0). */
  reltuples: number;
  /** Dead tuples above which autovacuum vacuums the table (threshold + scale factor × reltuples, capped on 18). */
  autovacuumThreshold: number;
  /** deadTuples / autovacuumThreshold; 1 means due, ≥ 2 means autovacuum is behind. */
  ratio: number | null;
  /** n_ins_since_vacuum and its trigger (null when the insert trigger is off). */
  insertsSinceVacuum: number;
  insertThreshold: number | null;
  insertRatio: number | null;
  autovacuumEnabled: boolean;
  /** Per-table autovacuum storage parameters override the server's. */
  tableSettings: boolean;
  lastVacuumSeconds: number | null;
  lastAutovacuumSeconds: number | null;
  lastAnalyzeSeconds: number | null;
  lastAutoanalyzeSeconds: number | null;
  /** Past its trigger by the vacuumTriggerRatio warn multiple, or over it with autovacuum off for the table. */
  behind: boolean;
}

export interface RunningVacuum {
  pid: number;
  database: string | null;
  /** Null when the table is in another database. */
  schema: string | null;
  table: string | null;
  phase: string;
  autovacuum: boolean;
  toPreventWraparound: boolean;
  runningSeconds: number | null;
  heapBlocksTotal: number;
  heapBlocksScanned: number;
  heapBlocksVacuumed: number;
  indexVacuumCount: number;
  /** num_dead_tuples on 14–16, num_dead_item_ids from 17. */
  deadItemIds: number;
  /** 14–16 only. */
  maxDeadTuples: number | null;
  /** 17+ only. */
  deadTupleBytes: number | null;
  maxDeadTupleBytes: number | null;
  indexesTotal: number | null;
  indexesProcessed: number | null;
  waitEventType: string | null;
  waitEvent: string | null;
}

export type HorizonKind = 'transaction' | 'standby feedback' | 'replication slot' | 'prepared transaction';

/** Something that keeps VACUUM from removing rows deleted after its snapshot or XID. */
export interface HorizonHolder {
  kind: HorizonKind;
  /** Sessions only, with backendStart as text (identity guard for terminate). */
  pid: number | null;
  backendStart: string | null;
  /** application_name, slot name or prepared transaction gid. */
  name: string | null;
  user: string | null;
  database: string | null;
  state: string | null;
  /** age() of its xmin / xid / catalog_xmin, in transactions. */
  xminAge: number | null;
  /** Since its transaction began (or was prepared); null for slots and walsenders. */
  ageSeconds: number | null;
  query: string | null;
}

export interface WraparoundCandidate {
  schema: string;
  table: string;
  xidAge: number;
  multixactAge: number;
  /** Effective autovacuum_freeze_max_age (a per-table value can only lower it). */
  freezeMaxAge: number;
  multixactFreezeMaxAge: number;
  /** How far towards the forced anti-wraparound vacuum, the larger of XID and multixact. */
  percentOfForced: number;
}

export interface AutovacuumSettings {
  autovacuum: boolean;
  trackCounts: boolean;
  maxWorkers: number;
  naptimeSeconds: number;
  vacuumThreshold: number;
  vacuumScaleFactor: number;
  /** 18+: caps the trigger; null before 18, -1 when disabled. */
  vacuumMaxThreshold: number | null;
  insertThreshold: number;
  insertScaleFactor: number;
  freezeMaxAge: number;
  multixactFreezeMaxAge: number;
}

export interface VacuumFindings {
  settings: AutovacuumSettings;
  /** Tables furthest past their trigger, up to --limit. */
  tables: VacuumTable[];
  tableCount: number;
  /** Tables whose dead tuples or inserts are past a trigger right now (autovacuum should be on them). */
  overTriggerCount: number;
  autovacuumDisabled: { schema: string; table: string; deadTuples: number }[];
  autovacuumDisabledCount: number;
  running: RunningVacuum[];
  horizon: HorizonHolder[];
  wraparound: WraparoundCandidate[];
  inRecovery: boolean;
}
