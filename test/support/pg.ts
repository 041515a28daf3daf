import type { Major } from '../../src/embedded/binaries.js';
import { startCluster } from '../../src/embedded/cluster.js';

/** A PostgreSQL server started by the tests: embedded binaries or a container, decided at run time. */
export interface TestServer {
  major: Major;
  backend: 'embedded' | 'testcontainers';
  url(database?: string): string;
  /** Only for the embedded backend: what startStandby needs. */
  cluster?: Awaited<ReturnType<typeof startCluster>>;
  stop(): Promise<void>;
}

const SERVER_FLAGS = [
  'shared_preload_libraries=pg_stat_statements',
  'pg_stat_statements.track=all',
  'wal_level=replica',
  'max_wal_senders=10',
  'max_prepared_transactions=10',
  'fsync=off',
];

/** PG_TEST_BACKEND=embedded|testcontainers forces one; otherwise a container runtime is used when one answers. */
async function chooseBackend(): Promise<'embedded' | 'testcontainers'> {
  const forced = process.env.PG_TEST_BACKEND;
  if (forced === 'embedded' || forced === 'testcontainers') return forced;
  if (!process.env.DOCKER_HOST && !(await socketExists('/var/run/docker.sock'))) return 'embedded';
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return 'testcontainers';
  } catch {
    return 'embedded';
  }
}

async function socketExists(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then(
    (s) => s.isSocket(),
    () => false,
  );
}

/** `embedded: true` when the test needs the data folder (standbys are made by copying it). */
export async function startTestServer(major: Major = 18, options: { embedded?: boolean } = {}): Promise<TestServer> {
  const backend = options.embedded ? 'embedded' : await chooseBackend();
  if (backend === 'testcontainers') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer(`postgres:${major}`)
      .withUsername('postgres')
      .withPassword('postgres')
      .withCommand(['postgres', ...SERVER_FLAGS.flatMap((flag) => ['-c', flag])])
      .start();
    const base = `postgres://postgres:postgres@${container.getHost()}:${container.getPort()}`;
    return {
      major,
      backend,
      url: (database = 'postgres') => `${base}/${database}`,
      stop: async () => void (await container.stop()),
    };
  }
  const cluster = await startCluster({ major });
  return { major, backend, cluster, url: (database) => cluster.url(database), stop: () => cluster.stop() };
}
