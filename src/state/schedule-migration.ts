import type { Migration } from './migrations.js';

/** Digest claims, daily relation snapshots for trends, and alert state (src/schedule). */
export const SCHEDULE_MIGRATION: Migration = {
  version: 2,
  name: 'schedule claims, relation snapshots and alert state',
  sql: `
CREATE TABLE pgmedic.schedule_claims (
  job text NOT NULL,
  scheduled_at timestamptz NOT NULL,
  instance_id text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  outcome text,
  PRIMARY KEY (job, scheduled_at)
);
CREATE INDEX schedule_claims_by_time ON pgmedic.schedule_claims (scheduled_at);

CREATE TABLE pgmedic.relation_snapshots (
  target text NOT NULL,
  day date NOT NULL,
  kind text NOT NULL CHECK (kind IN ('table', 'index', 'total')),
  schema_name text NOT NULL,
  relation text NOT NULL,
  total_bytes bigint,
  bloat_bytes bigint,
  bloat_percent float8,
  dead_tuples bigint,
  taken_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (target, day, kind, schema_name, relation)
);
CREATE INDEX relation_snapshots_by_day ON pgmedic.relation_snapshots (day);

CREATE TABLE pgmedic.alerts (
  target text NOT NULL,
  alert_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('firing', 'resolved')),
  severity text NOT NULL CHECK (severity IN ('warn', 'crit')),
  summary text NOT NULL,
  fingerprint text NOT NULL,
  channel text,
  message_ts text,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  last_change timestamptz NOT NULL,
  resolved_at timestamptz,
  flaps int NOT NULL DEFAULT 0,
  PRIMARY KEY (target, alert_key)
);
CREATE INDEX alerts_firing ON pgmedic.alerts (target) WHERE status = 'firing';`,
};
