#!/usr/bin/env node
// `npm run build`: TypeScript → dist/ (JavaScript + source maps), plus the workspace page's static files.
// esbuild transpiles without type-checking (that is `npm run typecheck`), so a build takes well under a second:
// `npm ci` (prepare), `npm start` (prestart) and the test setup rebuild every time instead of guessing whether
// dist/ is stale. `--if-possible` (prepare) only warns where esbuild is absent (`npm ci --omit=dev`).
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src', 'commands'];
const ASSETS = [['src/workspace/page', 'dist/src/workspace/page']];

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  const have = existsSync('dist/src/main.js');
  process.stderr.write(`pgmedic build: esbuild is not installed (a production install?); ${have ? 'keeping the dist/ there is' : 'dist/ is missing: run `npm ci` with dev dependencies, then `npm run build`'}.\n`);
  process.exit(have || process.argv.includes('--if-possible') ? 0 : 1);
}

const entryPoints = SOURCES.flatMap((dir) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file)),
);

rmSync('dist', { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outdir: 'dist',
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
for (const [from, to] of ASSETS) cpSync(from, to, { recursive: true });
