import { connect } from '../clients.js';

/**
 * Sequences close to running out, each for a different reason:
 * - seq_small_max: its own MAXVALUE 1000, at 960;
 * - legacy_orders_id_seq: a bigint sequence owned by an int column, 1,000 short of 2^31 − 1;
 * - countdown_seq: descending, feeding an int column, at −2,000,000,000 (the column stops at −2^31);
 * - small_ident: a smallint identity column at 30,000;
 * - seq_cycling: MAXVALUE 100 CYCLE at 99 (wraps by design);
 * - seq_never_used: never called, so pg_sequences.last_value is null.
 */
export async function createSequencesNearMax(url: string): Promise<void> {
  const client = await connect(url, 'scenario-sequences');
  await client.query(`
    CREATE SEQUENCE seq_small_max MAXVALUE 1000;
    SELECT setval('seq_small_max', 960);
    CREATE TABLE legacy_orders (id int PRIMARY KEY, note text);
    CREATE SEQUENCE legacy_orders_id_seq AS bigint OWNED BY legacy_orders.id;
    ALTER TABLE legacy_orders ALTER id SET DEFAULT nextval('legacy_orders_id_seq');
    SELECT setval('legacy_orders_id_seq', 2147483647 - 1001);
    INSERT INTO legacy_orders (note) VALUES ('the next order');
    CREATE SEQUENCE countdown_seq INCREMENT -1;
    CREATE TABLE countdown (id int DEFAULT nextval('countdown_seq'));
    SELECT setval('countdown_seq', -2000000000);
    CREATE TABLE small_ident (id smallint GENERATED ALWAYS AS IDENTITY, v text);
    SELECT setval(pg_get_serial_sequence('small_ident', 'id'), 30000);
    CREATE SEQUENCE seq_cycling MAXVALUE 100 CYCLE;
    SELECT setval('seq_cycling', 99);
    CREATE SEQUENCE seq_never_used;
  `);
  await client.end();
}
