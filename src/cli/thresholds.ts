import type { Config } from '../config/schema.js';
import { parseDuration } from '../engine/units.js';
import type { PrimaryFigure } from '../engine/primary.js';
import { AppError } from '../errors.js';
import type { CliArgs } from './args.js';

/**
 * `--warning 30s --critical 2min`: the primary figure's thresholds for this run, on the chosen target's config
 * (so the command judges with them, as if the config file said so). Higher is worse for every primary figure.
 */
export function withThresholdOverrides(
  config: Config,
  targetName: string | undefined,
  commandName: string,
  figure: PrimaryFigure | undefined,
  args: CliArgs,
): Config {
  if (args.warning === undefined && args.critical === undefined) return config;
  if (!figure) {
    throw new AppError('bad_option', `\`${commandName}\` has no single figure for --warning and --critical.`, {
      hint: 'Type `help` to see which commands take them.',
    });
  }
  const warn = args.warning === undefined ? undefined : parseThreshold('--warning', args.warning, figure);
  const crit = args.critical === undefined ? undefined : parseThreshold('--critical', args.critical, figure);
  if (warn !== undefined && crit !== undefined && warn > crit) {
    throw new AppError('bad_option', `--warning ${args.warning} is above --critical ${args.critical}.`, {
      hint: `Both are ${figure.meaning}, and higher is worse: the warning comes first.`,
    });
  }
  const wanted = targetName ?? config.defaultTarget;
  return {
    ...config,
    targets: config.targets.map((target) =>
      target.name === wanted
        ? {
            ...target,
            thresholds: {
              ...target.thresholds,
              [figure.threshold]: {
                ...target.thresholds?.[figure.threshold],
                ...(warn !== undefined ? { warn } : {}),
                ...(crit !== undefined ? { crit } : {}),
              },
            },
          }
        : target,
    ),
  };
}

function parseThreshold(flag: string, text: string, figure: PrimaryFigure): number {
  const value = figure.unit === 's' ? parseDuration(text) : parseNumber(text, figure.unit === '%');
  if (value === undefined) {
    const example =
      figure.unit === 's' ? '30s, 5min or 2h' : figure.unit === '%' ? '80 or 80%' : 'a plain number such as 2';
    throw new AppError('bad_option', `${flag} "${text}" is not valid here: it is ${figure.meaning}.`, {
      hint: `Use ${example}.`,
    });
  }
  return value;
}

/** "80", "80%" (where the figure is a percentage), "2.5". */
function parseNumber(text: string, percent: boolean): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  return match && (percent || !match[2]) ? Number(match[1]) : undefined;
}
