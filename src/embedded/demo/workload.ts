import pg from 'pg';

/** How often the demo shop does something. */
const TICK_MS = 4_000;

/**
 * What the demo shop's application does all day, as `shop`: a report query that scans the bloated orders
 * table (a slow statement), a search nobody indexed, and updates to `events`, whose dead rows nobody cleans.
 */
const STATEMENTS: { sql: string; params: (tick: number) => unknown[] }[] = [
  {
    sql: `SELECT customer_id, count(*) AS orders, sum(amount) AS revenue FROM orders WHERE status = $1 AND note LIKE $2
          GROUP BY customer_id ORDER BY revenue DESC LIMIT 20`,
    params: (tick) => [['paid', 'shipped', 'refunded'][tick % 3], `%${(tick % 16).toString(16)}a%`],
  },
  {
    sql: 'SELECT id, email FROM customers WHERE lower(email) = $1',
    params: (tick) => [`customer${tick % 1000}@example.com`],
  },
  { sql: 'UPDATE events SET seen = seen + 1 WHERE id % 100 = $1', params: (tick) => [tick % 100] },
  {
    sql: 'SELECT o.id, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.signed_up = $1::date',
    params: (tick) => [`2021-0${1 + (tick % 9)}-1${tick % 10}`],
  },
];

export interface Workload {
  stop(): Promise<void>;
}

export function startWorkload(appUrl: string, onError: (error: unknown) => void): Workload {
  const pool = new pg.Pool({
    connectionString: appUrl,
    max: 2,
    application_name: 'shop-api',
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', onError);
  let tick = 0;
  let running: Promise<void> | undefined;
  const work = () => {
    if (running) return; // never pile up behind a slow tick
    running = runTick(pool, tick++)
      .catch(onError)
      .finally(() => (running = undefined));
  };
  const timer = setInterval(work, TICK_MS);
  timer.unref();
  work(); // the first statements are there before anyone can ask for them
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await pool.end();
    },
  };
}

async function runTick(pool: pg.Pool, tick: number): Promise<void> {
  for (const statement of STATEMENTS) await pool.query(statement.sql, statement.params(tick));
}
