#!/usr/bin/env node
// `npm run build`: TypeScript → dist/ with source maps, in two shapes:
// - dist/src, dist/commands, dist/actions: every file transpiled alone, the layout of the sources (the bot: `npm start`, the
//   image), with the workspace page's static files beside them;
// - dist/cli: the command line bundled with its dependencies, split at its dynamic imports so one diagnostic
//   loads only what it uses. Node spends most of a short run opening and linking module files (zod alone is
//   dozens); one bundle cuts `pgmedic --help` by about 100 ms of CPU, which a check run every minute pays.
// esbuild transpiles without type-checking (that is `npm run typecheck`), so a build takes well under a second:
// `npm ci` (prepare), `npm start` (prestart) and the test setup rebuild every time instead of guessing whether
// dist/ is stale. `--if-possible` (prepare) only warns where esbuild is absent (`npm ci --omit=dev`).
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SOURCES = ['src', 'commands', 'actions'];
const ASSETS = [['src/workspace/page', 'dist/src/workspace/page']];

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  const have = existsSync('dist/src/main.js');
  process.stderr.write(
    `pgmedic build: esbuild is not installed (a production install?); ${have ? 'keeping the dist/ there is' : 'dist/ is missing: run `npm ci` with dev dependencies, then `npm run build`'}.\n`,
  );
  process.exit(have || process.argv.includes('--if-possible') ? 0 : 1);
}

const entryPoints = SOURCES.flatMap((dir) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file)),
);

/**
 * pg asks at load whether it runs in a Cloudflare Worker; where there is no `navigator` (node 20) it does so with
 * `new Response()`, which loads Node's bundled undici: 20-40 ms of a one-diagnostic run, for a question whose
 * answer is fixed for a bundle built for Node. The build fails if pg's code changes shape, rather than keeping
 * the probe silently.
 */
const nodeOnlyPg = {
  name: 'node-only-pg',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, ({ path }) => {
      const code = readFileSync(path, 'utf8');
      const probe = 'if (isCloudflareRuntime()) {';
      if (!code.includes(probe))
        throw new Error(`${path}: pg's Cloudflare probe changed; update nodeOnlyPg in scripts/build.mjs`);
      return { contents: code.replace(probe, 'if (false) {'), loader: 'js' };
    });
  },
};

/**
 * zod's namespace exports every locale of its error messages (`z.locales`), about 360 kB of the CLI bundle that
 * node must compile on every run; pgmedic uses English only, the one zod configures itself with.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, ({ path }) => {
      if (!readFileSync(path, 'utf8').includes('export { default as en } from "./en.js";'))
        throw new Error(`${path}: zod's locale list changed; update englishOnlyZod in scripts/build.mjs`);
      return { contents: 'export { default as en } from "./en.js";', loader: 'js', resolveDir: dirname(path) };
    });
  },
};

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
await esbuild.build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // pg's optional native binding stays a runtime lookup, as without a bundle; so do the chart renderer's native
  // binding and font files (loaded from node_modules only when a chart is drawn), and the PostgreSQL parser, whose
  // WASM file sits beside its module.
  external: ['pg-native', 'libpg-query', '@resvg/resvg-js', 'dejavu-fonts-ttf', 'vega', 'vega-lite'],
  // Bundled CommonJS (pg) calls require() for Node's own modules; an ES module has none, so give it one.
  banner: {
    js: "import { createRequire as pgmedicRequire } from 'node:module'; const require = pgmedicRequire(import.meta.url);",
  },
  plugins: [nodeOnlyPg, englishOnlyZod],
  logLevel: 'warning',
});
for (const [from, to] of ASSETS) cpSync(from, to, { recursive: true });
