/**
 * Trend chart benchmark: what one PNG chart costs the bot (issue 12). No database: the chart data is built
 * from synthetic snapshot rows by the same pure function the bot uses (chartData), then rendered for real.
 *
 *   node --import tsx bench/charts.bench.ts     prints a markdown table (copied into bench/CHARTS-RESULTS.md)
 *
 * Measured: importing the bot's modules (the chart libraries must not load with them), the first chart
 * (imports vega, vega-lite and resvg), then warm renders of a 30-day, 5-line chart; RSS before and after;
 * and the longest event-loop stall during a render (what a slash command's ack could wait behind).
 */
import { cpus, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { chartData } from '../src/charts/data.js';
import { type DailyMetric, findMetric } from '../src/charts/metrics.js';
import { dayOffset, type DatedRow } from '../src/schedule/trends/compare.js';

const WARM_RUNS = 10;
const LAST_DAY = '2026-11-30';
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function rows(): DatedRow[] {
  const out: DatedRow[] = [];
  for (let d = 0; d < 30; d++) {
    for (let t = 0; t < 8; t++) {
      out.push({
        day: dayOffset(LAST_DAY, -d),
        kind: 'table',
        schema: 'public',
        relation: `table_${t}`,
        totalBytes: (t + 1) * 2 ** 30 + (30 - d) * 2 ** 24,
        bloatBytes: null,
        bloatPercent: null,
        deadTuples: null,
      });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const rssStart = process.memoryUsage().rss;
  let started = performance.now();
  await import('../src/slack/app.js');
  await import('../src/slack/listeners/command.js');
  await import('../src/schedule/scheduler.js');
  const botImportMs = performance.now() - started;
  const rssBot = process.memoryUsage().rss;

  const data = chartData(rows(), 'bench', findMetric('size') as DailyMetric, 30, LAST_DAY);
  const { renderChart } = await import('../src/charts/render.js');
  started = performance.now();
  const first = await renderChart(data);
  const firstMs = performance.now() - started;
  const rssFirst = process.memoryUsage().rss;

  const delay = monitorEventLoopDelay({ resolution: 5 });
  const warm: number[] = [];
  delay.enable();
  for (let i = 0; i < WARM_RUNS; i++) {
    started = performance.now();
    await renderChart(data);
    warm.push(performance.now() - started);
  }
  delay.disable();
  const rssWarm = process.memoryUsage().rss;
  const peak = process.resourceUsage().maxRSS * 1024;

  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.versions.node}.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| import the bot's modules (app, /pg listener, scheduler) | ${Math.round(botImportMs)} ms, RSS ${mb(rssStart)} → ${mb(rssBot)} |`,
    `| first chart (loads vega, vega-lite, resvg) | ${Math.round(firstMs)} ms, RSS → ${mb(rssFirst)} |`,
    `| warm chart, 30 days × 5 lines (median of ${WARM_RUNS}) | ${Math.round(median(warm))} ms (worst ${Math.round(Math.max(...warm))} ms) |`,
    `| longest event-loop stall during warm renders | ${Math.round(delay.max / 1e6)} ms |`,
    `| RSS after ${WARM_RUNS + 1} charts / peak | ${mb(rssWarm)} / ${mb(peak)} |`,
    `| PNG size | ${Math.round(first.png.length / 1024)} kB (${first.svg.length} characters of SVG) |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
