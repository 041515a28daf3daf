import pg from 'pg';

/** A chain left alone ends by itself after this, so a forgotten demo does not hold locks for days. */
const AUTO_RELEASE_MS = 15 * 60_000;

export interface ChainInfo {
  rootPid: number;
  waitingPids: number[];
}

export interface DemoBlockingChain {
  /** Starts a chain, or returns the one already running. */
  start(): Promise<ChainInfo>;
  close(): Promise<void>;
}

/**
 * On request: a billing job updates account 1 and then sits idle in its transaction (it forgot to commit);
 * two checkout requests want the same row and wait behind it, the second also behind the first.
 */
export function demoBlockingChain(appUrl: string): DemoBlockingChain {
  let current: { info: ChainInfo; clients: pg.Client[]; timer: NodeJS.Timeout } | undefined;
  const end = async () => {
    const chain = current;
    current = undefined;
    if (!chain) return;
    clearTimeout(chain.timer);
    await Promise.all(chain.clients.map((c) => c.end().catch(() => undefined)));
  };
  return {
    async start() {
      if (current && (await rootStillThere(appUrl, current.info.rootPid))) return current.info;
      await end();
      const clients = await Promise.all(
        ['billing-batch', 'checkout-api', 'checkout-api'].map((name) => open(appUrl, name)),
      );
      const [root, first, second] = clients as [pg.Client, pg.Client, pg.Client];
      const pids = await Promise.all(
        clients.map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid),
      );
      await root.query('BEGIN');
      await root.query('UPDATE accounts SET balance = balance - 25 WHERE id = 1');
      // Watched from a fourth session: inside the root's transaction pg_stat_activity would be a frozen snapshot.
      const observer = await open(appUrl, 'demo-check');
      try {
        for (const [index, waiter] of [first, second].entries()) {
          // Fails only when the chain is ended by closing its sessions, which is expected.
          waiter.query('UPDATE accounts SET balance = balance + 25 WHERE id = 1').catch(() => undefined);
          await waitUntilWaiting(observer, pids[index + 1]!);
        }
      } finally {
        await observer.end();
      }
      const timer = setTimeout(() => void end(), AUTO_RELEASE_MS);
      timer.unref();
      current = { info: { rootPid: pids[0]!, waitingPids: pids.slice(1) }, clients, timer };
      return current.info;
    },
    close: end,
  };
}

async function open(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined); // the root is terminated on purpose once someone approves it
  await client.connect();
  return client;
}

async function waitUntilWaiting(observer: pg.Client, pid: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rowCount } = await observer.query(
      "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
      [pid],
    );
    if (rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`session ${pid} did not start waiting for the lock`);
}

async function rootStillThere(url: string, pid: number): Promise<boolean> {
  const client = await open(url, 'demo-check');
  try {
    const { rowCount } = await client.query(
      "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'idle in transaction'",
      [pid],
    );
    return rowCount === 1;
  } finally {
    await client.end();
  }
}
