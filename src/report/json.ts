import type { RunResult } from '../engine/run.js';
import { reportNotes, statusReasons } from './model.js';
import { DEFAULT_QUERY_TEXT_MODE } from '../redact/query-text.js';
import { redactQueryFields } from './query-text.js';

/** The machine-readable shape: stable, camelCase, for automation and monitoring checks. */
export function toJson(result: RunResult) {
  return {
    command: result.command,
    target: result.target,
    status: result.status,
    summary: result.summary,
    /** Why the status is not ok (empty when ok): what a person reads in the text, for a monitoring system. */
    reasons: statusReasons(result.report),
    /** The advice the text rendering prints as notes. */
    notes: reportNotes(result.report),
    findings: redactQueryFields(result.findings, result.report.queryText ?? DEFAULT_QUERY_TEXT_MODE),
    meta: {
      serverVersion: result.meta.serverVersion,
      inRecovery: result.meta.inRecovery,
      elapsedMs: result.meta.elapsedMs,
      ...(result.report.window ? { window: result.report.window } : {}),
    },
  };
}

export function renderJson(result: RunResult): string {
  return JSON.stringify(toJson(result), null, 2);
}
