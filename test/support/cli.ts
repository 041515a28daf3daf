import { execFile } from 'node:child_process';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any database, Slack or colour setting of the machine running the tests. */
function cleanEnv(): Record<string, string> {
  const drop = (key: string) =>
    key.startsWith('PGMEDIC_') ||
    key.startsWith('PG') ||
    key.startsWith('SLACK_') ||
    ['DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'TERM'].includes(key);
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => !drop(entry[0]) && entry[1] !== undefined),
  );
}

/** bin/pgmedic as a user runs it (the compiled CLI); a non-zero exit is a result, not a failure. */
export function pgmedic(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile('bin/pgmedic', args, { env: { ...cleanEnv(), ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The same under a pseudo-terminal (util-linux `script`), for what the CLI does when stdout is a TTY. */
export function pgmedicOnTty(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const command = ['bin/pgmedic', ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { ...cleanEnv(), TERM: 'xterm-256color', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
