import { clientPool, waitFor } from '../clients.js';

export interface IndexBuildInProgress {
  index: string;
  /** Lets the build finish (the writer commits) and waits for it. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A CREATE INDEX CONCURRENTLY caught mid-build: a writer's open transaction on the table makes it wait
 * after it has registered the (still invalid) index, as pg_stat_progress_create_index shows.
 */
export async function startIndexBuild(url: string, table: string, index: string): Promise<IndexBuildInProgress> {
  const clients = clientPool(url);
  const writer = await clients.open('scenario-writer');
  const builder = await clients.open('scenario-builder');
  const observer = await clients.open('scenario-observer');
  await writer.query('BEGIN');
  await writer.query(`UPDATE ${table} SET status = status WHERE id = 1`);
  const builderPid = (await builder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const build = builder.query(`CREATE INDEX CONCURRENTLY ${index} ON ${table} (created)`);
  build.catch(() => undefined);
  await waitFor(
    async () =>
      (
        await observer.query(
          'SELECT 1 FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.index_relid WHERE p.pid = $1 AND c.relname = $2',
          [builderPid, index],
        )
      ).rowCount,
    'the concurrent build to register its index',
  );
  return {
    index,
    async finish() {
      await writer.query('COMMIT');
      await build;
    },
    close: () => clients.closeAll(),
  };
}
