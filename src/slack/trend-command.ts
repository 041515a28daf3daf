import { chartDays, chartFile, MIN_CHART_DAYS } from '../charts/charts.js';
import { readChartData } from '../charts/data.js';
import type { ChartData } from '../charts/data.js';
import type { TrendDays, TrendMetric } from '../charts/metrics.js';
import type { Visibility } from '../config/slack.js';
import { noSnapshotsYet } from '../engine/history.js';
import { describeError } from '../errors.js';
import type { Requester } from './authorize.js';
import { errorNote, refusalNote } from './blocks/messages.js';
import { isNotInChannel, replaceNote, type Reply } from './deliver.js';
import type { SlackDeps } from './deps.js';
import { uploadCharts } from './upload-charts.js';

export interface TrendRun {
  metric: TrendMetric;
  target: string;
  days: TrendDays;
  visibility: Visibility;
  requester: Requester;
}

const NO_STATE =
  'Trend charts draw the snapshots kept in the state database: set PGMEDIC_STATE_DATABASE_URL and restart pgmedic; each digest then stores one a day, and the query history one every 15 minutes.';
const PRIVATE =
  'A chart is shared as an image file, and Slack cannot show a file to you alone: run it with `--public` to post it in this channel.';

/** `/pg trend <metric> [target] [--days 7|30]`: the chart as a PNG in the channel (files.uploadV2). */
export async function trendCommand(deps: SlackDeps, run: TrendRun, reply: Reply): Promise<void> {
  const snapshots = deps.snapshots;
  if (!snapshots) return void (await replaceNote(reply, refusalNote(NO_STATE)));
  if (run.visibility === 'private') return void (await replaceNote(reply, refusalNote(PRIVATE)));
  const decision = await deps.authorizer.check(deps.targets.get(run.target).config, run.requester);
  if (!decision.allowed) return void (await replaceNote(reply, refusalNote(decision.reason)));
  try {
    const data = await readChartData(snapshots, run.target, run.metric, run.days);
    const missing = notEnough(run, data);
    if (missing) return void (await replaceNote(reply, errorNote(missing)));
    if (!data?.series.length)
      return void (await replaceNote(
        reply,
        errorNote(
          `The snapshots of \`${run.target}\` from ${data?.from} to ${data?.to} hold no ${run.metric.title} figures.`,
        ),
      ));
    const file = await chartFile(data);
    await uploadCharts(reply.client, reply.channelId, [file], {
      comment: `${run.metric.title} of \`${run.target}\`: ${run.metric.summary}, ${data.from} to ${data.to}.`,
    });
    deps.logger.info(
      {
        user: run.requester.userId,
        channel: run.requester.channelId,
        target: run.target,
        metric: run.metric.name,
        days: run.days,
        bytes: file.png.length,
      },
      'trend chart posted',
    );
    await reply.respond({ delete_original: true });
  } catch (error) {
    deps.logger.warn({ err: error, target: run.target, metric: run.metric.name }, 'trend chart failed');
    const text = isNotInChannel(error)
      ? 'The chart could not be posted here: invite the app to this channel.'
      : describeError(error).text;
    await replaceNote(reply, errorNote(text));
  }
}

/** Why there is no chart yet, or undefined. A history chart needs two points (query time: three snapshots). */
function notEnough(run: TrendRun, data: ChartData | null): string | undefined {
  if (run.metric.source === 'daily')
    return data
      ? undefined
      : `There are no snapshots of \`${run.target}\` yet: each digest stores one a day (\`/pg digest ${run.target}\` stores today’s).`;
  if (!data) return noSnapshotsYet(run.target);
  // No standby ever, or no database the role may measure: "hold no … figures" says it better.
  if (!data.series.length && !run.metric.statements) return undefined;
  const points = chartDays(data);
  if (points >= MIN_CHART_DAYS) return undefined;
  const needs = run.metric.statements
    ? 'three snapshots with pg_stat_statements (each point is the time between two)'
    : 'two snapshots';
  return `Not enough query history of \`${run.target}\` yet for a ${run.metric.title} chart: it has ${points} point${points === 1 ? '' : 's'} in the last ${run.days} days, and a chart needs ${needs}. The bot takes one every 15 minutes (PGMEDIC_SNAPSHOT_CRON); \`pgmedic snapshot --target ${run.target}\` takes one now.`;
}
