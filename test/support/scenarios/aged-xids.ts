import { clientPool, connect } from '../clients.js';

/**
 * Ages XIDs and multixacts for real: every committed transaction that writes consumes an XID,
 * and two sessions share-locking the same row create a multixact.
 */
export async function consumeXids(url: string, count: number): Promise<void> {
  const client = await connect(url, 'scenario-xids');
  // A DO block may COMMIT between iterations (11+): one round trip, `count` transactions.
  await client.query(
    `DO $$ BEGIN FOR i IN 1..${Math.trunc(count)} LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$`,
  );
  await client.end();
}

export async function createMultixacts(url: string, table: string, count: number): Promise<void> {
  const clients = clientPool(url);
  const [a, b] = [await clients.open('scenario-multixact-a'), await clients.open('scenario-multixact-b')];
  for (let i = 0; i < count; i++) {
    await a.query('BEGIN');
    await a.query(`SELECT 1 FROM ${table} LIMIT 1 FOR SHARE`);
    await b.query(`BEGIN; SELECT 1 FROM ${table} LIMIT 1 FOR SHARE; COMMIT`);
    await a.query('COMMIT');
  }
  await clients.closeAll();
}

/** A temporary table on a session that stays open (autovacuum can never freeze it). */
export async function holdTemporaryTable(url: string, table: string) {
  const clients = clientPool(url);
  const owner = await clients.open('scenario-temp-owner');
  await owner.query(`CREATE TEMP TABLE ${table} (id int) WITH (autovacuum_freeze_max_age = 100000)`);
  return { close: () => clients.closeAll() };
}
