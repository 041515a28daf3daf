import pg from 'pg';

/** Raw connections for scenarios and ground truth; never named "pgmedic" so the bot does not ignore them. */
export async function connect(url: string, applicationName = 'scenario'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined); // terminated on purpose by some tests
  await client.connect();
  return client;
}

/** Opens clients and closes them all at the end of a test. */
export function clientPool(url: string) {
  const opened: pg.Client[] = [];
  return {
    async open(applicationName?: string): Promise<pg.Client> {
      const client = await connect(url, applicationName);
      opened.push(client);
      return client;
    },
    async closeAll(): Promise<void> {
      await Promise.all(opened.splice(0).map((c) => c.end().catch(() => undefined)));
    },
  };
}

/** Polls until `check` returns a truthy value (for conditions PostgreSQL reaches asynchronously). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * A non-superuser login role on the server (password `pw`), and `url` rewritten to log in as it: scenario
 * sessions pgmedic may signal (it never signals a superuser's). `attributes` e.g. 'REPLICATION'.
 */
export async function loginRole(url: string, role: string, attributes = ''): Promise<string> {
  const admin = await connect(url, 'scenario-setup');
  try {
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN PASSWORD 'pw' ${attributes}`);
    await admin.query(`GRANT CREATE ON SCHEMA public TO ${pg.escapeIdentifier(role)}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.username = role;
  u.password = 'pw';
  return u.toString();
}
