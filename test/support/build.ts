import { execFileSync } from 'node:child_process';

/** Vitest global setup: tests that spawn bin/pgmedic run the compiled CLI, so compile the sources as they are now. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
