import type { Migration } from './migrations.js';

/**
 * Suggested-action offers (what a report button stands for, so its value is an opaque id) and Slack
 * delivery keys (so a retried delivery is dropped by every running copy, not only the one that saw it first).
 */
export const SLACK_MIGRATION: Migration = {
  version: 3,
  name: 'suggested-action offers and Slack delivery keys',
  sql: `
CREATE TABLE pgmedic.action_offers (
  id text PRIMARY KEY,
  action text NOT NULL,
  target text NOT NULL,
  params jsonb NOT NULL,
  channel text,
  offered_to text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX action_offers_by_expiry ON pgmedic.action_offers (expires_at);

CREATE TABLE pgmedic.slack_deliveries (
  key text PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_deliveries_by_time ON pgmedic.slack_deliveries (seen_at);`,
};
