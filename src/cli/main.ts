import type { QueryTextMode } from '../redact/query-text.js';
import { loadConfig, wantsColor } from '../config/load.js';
import { createTargets } from '../db/targets.js';
import { describeError } from '../errors.js';
import { helpReport } from '../engine/help.js';
import { runCommand } from '../engine/run.js';
import { renderJson } from '../report/json.js';
import { contextLine, renderText } from '../report/text.js';
import { planCli } from './args.js';
import { parseLimit, runAudit } from './audit.js';
import { runDigest } from './digest.js';
import { runMigrateState } from './migrate.js';

const EXIT = { ok: 0, warn: 1, crit: 2, error: 3 } as const;

async function main(argv: string[]): Promise<number> {
  const plan = planCli(argv, parseLimit);
  const color = wantsColor(Boolean(process.stdout.isTTY));
  if (plan.kind === 'help') {
    process.stdout.write(`${renderText(helpReport('pgmedic', plan.command), undefined, { color })}\n`);
    return EXIT.ok;
  }
  if (plan.kind === 'audit') {
    process.stdout.write(`${await runAudit(plan.args, plan.limit, color)}\n`);
    return EXIT.ok;
  }
  if (plan.kind === 'migrate-state') {
    const { output, tamperProof } = await runMigrateState(plan.args);
    process.stdout.write(`${output}\n`);
    return tamperProof ? EXIT.ok : EXIT.warn;
  }
  if (plan.kind === 'digest') {
    const { output, digest } = await runDigest(plan.args, color);
    process.stdout.write(`${output}\n`);
    return EXIT[digest.status];
  }
  const { args, command, options } = plan;
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

