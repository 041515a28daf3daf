import type { ChartFile } from '../charts/charts.js';
import type { Report } from '../report/model.js';

/**
 * What the scheduler hands to a surface: plain data, rendered by whoever posts it (the Slack layer turns
 * `report` into Block Kit with its action buttons; tests record it).
 */
export interface OutgoingMessage {
  /** One line: notification text and fallback. */
  text: string;
  report: Report;
  /** The target the report (and its action buttons) is about; absent for multi-target summaries. */
  target?: string;
  /** Post as a reply in this thread. */
  threadTs?: string;
  /** Shown under the report, e.g. "prod · alert since 09:12 UTC". */
  context?: string;
}

/** Injected by the lead: chat.postMessage / chat.update in production, a recorder in tests. */
export interface Poster {
  post(channel: string, message: OutgoingMessage): Promise<{ ts: string }>;
  update(channel: string, ts: string, message: OutgoingMessage): Promise<void>;
  /** Trend chart images in a thread (files.uploadV2); a surface without files leaves it out. */
  attach?(channel: string, threadTs: string, files: readonly ChartFile[]): Promise<void>;
}

/** Logging the scheduler needs (pino's shape; tests pass a recorder). */
export interface ScheduleLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
