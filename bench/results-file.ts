import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Writes a bench's results file next to the benches, formatted as `npm run lint` expects. */
export function writeResults(name: string, text: string): void {
  const path = fileURLToPath(new URL(`./${name}`, import.meta.url));
  writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../node_modules/@biomejs/biome/bin/biome', import.meta.url)), 'format', '--write', path],
    { stdio: 'ignore' },
  );
  process.stdout.write(`wrote bench/${name}\n`);
}
