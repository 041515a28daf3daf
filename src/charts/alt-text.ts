import { formatBytes, formatCount } from '../report/format.js';
import type { ChartData } from './data.js';

/** What a screen reader (and a reader of a failed image) gets: each line's first and last value. */
export function altText(data: ChartData): string {
  const format = (value: number) => (data.metric.unit === 'bytes' ? formatBytes(value) : formatCount(value));
  const lines = data.series.map(
    (s) =>
      `${s.name} ${format(s.points[0]!.value)} on ${s.points[0]!.day} → ${format(s.points.at(-1)!.value)} on ${s.points.at(-1)!.day}`,
  );
  return `${data.metric.title} of ${data.target}: ${lines.join('; ') || 'no data'}`.slice(0, 1000);
}
