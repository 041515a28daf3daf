import type { z } from 'zod';
import type { CommandDefinition } from '../engine/command.js';
import { findingsOf } from '../engine/run.js';
import type { Report, Status, SuggestedAction } from '../report/model.js';
import type { Offender } from './offenders.js';
import type { TrendEvent } from './trends/compare.js';

/** A diagnostic run as a digest section: command name and option tokens, as typed after `/pg`. */
export interface SectionSpec {
  command: string;
  tokens: string[];
}

/** One section's outcome for one target: its report, or why it failed. */
export interface DigestPiece {
  command: string;
  report: Report | null;
  /** The command's findings (null when it failed): read them typed with sectionFindings. */
  findings: unknown;
  error: string | null;
  elapsedMs: number;
}

export interface TargetDigest {
  target: string;
  reachable: boolean;
  /** Health status; null when the target could not be reached (targetStatus adds the sections'). */
  status: Status | null;
  /** "OK: primary on PostgreSQL 18.4, up 3d …" or "could not reach prod: the connection timed out". */
  statusLine: string;
  serverVersion: string | null;
  pieces: DigestPiece[];
  trends: TrendEvent[];
  /** What its sections found not OK, worst first, with figures and trends (src/schedule/offenders.ts). */
  offenders: Offender[];
  /** The reports' suggested actions, for this target's buttons. */
  actions: SuggestedAction[];
  elapsedMs: number;
}

/** The neutral digest: a renderer makes one readable message of it, with the details in a thread. */
export interface Digest {
  name: string;
  title: string;
  generatedAt: string;
  /** Local date of the digest in its time zone (the trend snapshot day). */
  day: string;
  /** Worst of the targets and their sections; a failed section counts as warn, an unreachable target as crit. */
  status: Status;
  targets: TargetDigest[];
  elapsedMs: number;
}

/** The findings of a digest's section run by `command`, typed as that command's, when it ran and returned some. */
export function sectionFindings<Findings>(
  pieces: readonly DigestPiece[],
  command: CommandDefinition<z.ZodObject, Findings>,
): Findings | null {
  for (const piece of pieces) {
    const findings = findingsOf(piece, command);
    if (findings) return findings;
  }
  return null;
}
