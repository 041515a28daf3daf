import { findMetric, metricList, TREND_DAYS, UNRECORDED_METRICS, type TrendDays } from '../charts/metrics.js';
import { AppError } from '../errors.js';
import { takeSlackFlags, unknownTarget, type ParseContext, type SlashRequest } from './parse.js';

/** `/pg trend <metric> [target] [--days 7|30]`: pure, so a typo is answered in the ack. */
export function parseTrend(tokens: string[], context: ParseContext): SlashRequest {
  const { visibility, explicitTarget, remaining } = takeSlackFlags(tokens);
  const usage = `Use \`/pg trend <metric> [target] [--days ${TREND_DAYS.join('|')}]\`; metrics: ${metricList()}.`;
  let days: TrendDays = TREND_DAYS[0];
  const words: string[] = [];
  for (let i = 0; i < remaining.length; i++) {
    const token = remaining[i]!;
    if (token === '--days' || token.startsWith('--days=')) {
      const value = Number(token.includes('=') ? token.slice('--days='.length) : remaining[++i]);
      if (!TREND_DAYS.includes(value as TrendDays))
        throw new AppError('bad_option', `--days is ${TREND_DAYS.join(' or ')}.`, {
          hint: 'For example `/pg trend size --days 30`.',
        });
      days = value as TrendDays;
    } else if (token.startsWith('--'))
      throw new AppError('bad_option', `\`trend\` does not take "${token}".`, { hint: usage });
    else words.push(token);
  }
  const [name, targetWord, ...extra] = words;
  if (!name) throw new AppError('bad_option', '`trend` needs a metric.', { hint: usage });
  const metric = findMetric(name);
  if (!metric) {
    const known = UNRECORDED_METRICS[name.toLowerCase()];
    throw new AppError('bad_option', known ?? `There is no trend metric "${name}".`, {
      hint: `Metrics: ${metricList()}, for example \`/pg trend size\`.`,
    });
  }
  if (extra.length || (targetWord && explicitTarget))
    throw new AppError('bad_option', '`trend` takes one metric and one target.', { hint: usage });
  const named = explicitTarget ?? targetWord;
  if (named && !context.targetNames.includes(named)) throw unknownTarget(named, context.targetNames);
  const target = named ?? context.defaultTarget;
  if (!target) {
    throw new AppError('unknown_target', 'This channel has no default target, so name one.', {
      hint: context.targetNames.length
        ? `For example \`/pg trend ${metric.name} ${context.targetNames[0]}\`.`
        : 'No database target is configured yet (DATABASE_URL or PGMEDIC_CONFIG).',
    });
  }
  return { kind: 'trend', metric, target, days, ...(visibility ? { visibility } : {}) };
}
