import type { QueryTextMode } from '../redact/query-text.js';
import { loadConfig, wantsColor } from '../config/load.js';
import { createTargets } from '../db/targets.js';
import { describeError } from '../errors.js';
import { helpReport } from '../engine/help.js';
import { parseOptions } from '../engine/options.js';
import { findCommand } from '../engine/registry.js';
import { runCommand } from '../engine/run.js';
import { renderJson } from '../report/json.js';
import { contextLine, renderText } from '../report/text.js';
import { parseCliArgs } from './args.js';
import { runAudit } from './audit.js';
import { runDigest } from './digest.js';

const EXIT = { ok: 0, warn: 1, crit: 2, error: 3 } as const;

async function main(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  const color = wantsColor(Boolean(process.stdout.isTTY));
  if (!args.command || args.command === 'help' || args.command === 'commands' || args.command === '--help') {
    const report = helpReport('pgmedic', args.command === 'help' ? args.rest[0] : undefined);
    process.stdout.write(`${renderText(report, undefined, { color })}\n`);
    return EXIT.ok;
  }
  if (args.command === 'audit') {
    process.stdout.write(`${await runAudit(args, color)}\n`);
    return EXIT.ok;
  }
  if (args.command === 'digest') {
    const { output, digest } = await runDigest(args, color);
    process.stdout.write(`${output}\n`);
    return EXIT[digest.status];
  }
  const command = findCommand(args.command);
  const options = parseOptions(command, args.rest);
  const targets = createTargets(loadConfig());
  try {
    const run = await runCommand({ command, target: targets.get(args.target), options });
    // Passwords are masked in every mode; the rest of the query text shows in full unless --redact.
    const queryText: QueryTextMode = args.redact ? (run.report.queryText === 'hidden' ? 'hidden' : 'redacted') : 'full';
    const result = { ...run, report: { ...run.report, queryText } };
    process.stdout.write(`${args.format === 'json' ? renderJson(result) : renderText(result.report, contextLine(result), { color })}\n`);
    return EXIT[result.status];
  } finally {
    await targets.closeAll();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`pgmedic: ${describeError(error).text}\n`);
    process.exitCode = EXIT.error;
  },
);

