import type { Migration } from './migrations.js';

/**
 * Work shared across copies (src/state/leases.ts): every copy beats in watch_copies each interval, and one
 * lease row per (work, target) says which copy checks that target and when it last did. `work` names the
 * periodic job ('alerts' today), so snapshots can share targets the same way later.
 */
export const LEASE_MIGRATION: Migration = {
  version: 5,
  name: 'watch leases shared across copies',
  sql: `
CREATE TABLE pgmedic.watch_copies (
  copy_id text PRIMARY KEY,
  seen_at timestamptz NOT NULL
);
CREATE TABLE pgmedic.watch_leases (
  work text NOT NULL,
  target text NOT NULL,
  holder text,
  expires_at timestamptz NOT NULL DEFAULT '-infinity',
  renewed_at timestamptz,
  last_checked_at timestamptz,
  PRIMARY KEY (work, target)
);
CREATE INDEX watch_leases_by_holder ON pgmedic.watch_leases (holder) WHERE holder IS NOT NULL;`,
};
