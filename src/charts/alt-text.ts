import { formatBytes, formatCount, formatMs } from '../report/format.js';
import type { ChartData } from './data.js';

/** What a screen reader (and a reader of a failed image) gets: each line's first and last value. */
export function altText(data: ChartData): string {
  const format = { bytes: formatBytes, count: formatCount, ms: formatMs }[data.metric.unit];
  // An instant reads as "2026-12-01 01:15" (UTC); a day as itself.
  const when = (day: string) => day.replace('T', ' ').slice(0, 16);
  const lines = data.series.map(
    (s) =>
      `${s.name} ${format(s.points[0]!.value)} on ${when(s.points[0]!.day)} → ${format(s.points.at(-1)!.value)} on ${when(s.points.at(-1)!.day)}`,
  );
  return `${data.metric.title} of ${data.target}: ${lines.join('; ') || 'no data'}`.slice(0, 1000);
}
