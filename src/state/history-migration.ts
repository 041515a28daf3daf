import type { Migration } from './migrations.js';

/**
 * The query history (src/state/history.ts): one row per snapshot of a target, with its small parts as jsonb, and
 * pg_stat_statements as one row of parallel arrays per snapshot (500 entries compress together in TOAST instead
 * of costing a 24-byte tuple header and an index entry each). Statement texts are stored once per queryid.
 * No foreign key: its check is an untagged internal query that pg_stat_statements.track = all would record on a
 * server the state database shares with a target; pruning deletes both rows in one statement instead.
 */
export const HISTORY_MIGRATION: Migration = {
  version: 6,
  name: 'query history snapshots',
  sql: `
CREATE TABLE pgmedic.history_snapshots (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  target text NOT NULL,
  taken_at timestamptz NOT NULL,
  server_version_num int NOT NULL,
  in_recovery boolean NOT NULL,
  postmaster_start text NOT NULL,
  statements_status text NOT NULL CHECK (statements_status IN ('recorded', 'not-installed', 'not-preloaded')),
  statements_info jsonb,
  databases jsonb NOT NULL,
  checkpoints jsonb NOT NULL,
  relations jsonb NOT NULL,
  replication jsonb
);
CREATE INDEX history_snapshots_by_target ON pgmedic.history_snapshots (target, taken_at);

CREATE TABLE pgmedic.history_statements (
  snapshot_id bigint PRIMARY KEY,
  query_ids bigint[] NOT NULL,
  user_ids bigint[] NOT NULL,
  db_ids bigint[] NOT NULL,
  toplevel boolean[] NOT NULL,
  stats_since text[] NOT NULL,
  calls bigint[] NOT NULL,
  total_ms float8[] NOT NULL,
  rows bigint[] NOT NULL,
  shared_hit bigint[] NOT NULL,
  shared_read bigint[] NOT NULL,
  shared_dirtied bigint[] NOT NULL,
  shared_written bigint[] NOT NULL,
  local_hit bigint[] NOT NULL,
  local_read bigint[] NOT NULL,
  local_dirtied bigint[] NOT NULL,
  local_written bigint[] NOT NULL,
  temp_read bigint[] NOT NULL,
  temp_written bigint[] NOT NULL
);

CREATE TABLE pgmedic.history_statement_texts (
  target text NOT NULL,
  query_id bigint NOT NULL,
  query text NOT NULL,
  last_seen timestamptz NOT NULL,
  PRIMARY KEY (target, query_id)
);`,
};
