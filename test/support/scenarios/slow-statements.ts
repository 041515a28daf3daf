import { connect } from '../clients.js';

/** The statements the scenario runs: distinct shapes (so pg_stat_statements keeps them apart), known costs. */
export const SLOW_STATEMENTS = {
  /** Slowest per call, run once: first by mean. */
  rareSlow: { sql: 'SELECT pg_sleep(0.1)', calls: 1 },
  /** Middling, run often enough to cost the most in total. */
  frequentMedium: { sql: "SELECT pg_sleep(0.02), 'medium'", calls: 8 },
  /** Fast, run most often: first by calls. */
  chattyFast: { sql: "SELECT pg_sleep(0.002), 'fast', 'chatty'", calls: 30 },
} as const;

/**
 * Creates `database` with pg_stat_statements installed (the test servers preload the library) and runs
 * real slow statements in it, so the orders by mean (rareSlow first), total (frequentMedium first) and
 * calls (chattyFast first) all differ.
 */
export async function createSlowStatements(adminUrl: string, databaseUrl: string, database: string): Promise<void> {
  const admin = await connect(adminUrl, 'scenario-setup');
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const client = await connect(databaseUrl, 'scenario-slow');
  try {
    await client.query('CREATE EXTENSION pg_stat_statements');
    for (const statement of Object.values(SLOW_STATEMENTS)) {
      for (let call = 0; call < statement.calls; call++) await client.query(statement.sql);
    }
  } finally {
    await client.end();
  }
}
