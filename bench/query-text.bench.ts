/**
 * Cost of the query-text boundary: showQueryText over statements of the shapes pg_stat_activity holds (short
 * and 4,000-character texts, texts cut inside a literal, passwords), in each mode. Prints the median time per
 * statement over 5 rounds; no server needed.
 *
 * Run: node --import tsx bench/query-text.bench.ts
 */
import { showQueryText, type QueryTextMode } from '../src/redact/query-text.js';

const SHORT =
  "UPDATE accounts SET balance = balance - 100.50, note = 'refund #4242' WHERE id = 17 AND iban = E'DE89\\'3704'";
const LONG =
  `SELECT * FROM orders WHERE id IN (${Array.from({ length: 700 }, (_, i) => i).join(', ')}) AND note = 'x'`.slice(
    0,
    4000,
  );
const CUT = `${LONG.slice(0, 3990)} AND c = 'cut insi`;
const PASSWORD = "ALTER ROLE app WITH LOGIN ENCRYPTED PASSWORD 'hunter2-secret' VALID UNTIL '2030-01-01'";
const STATEMENTS = { short: SHORT, 'long (4,000 chars)': LONG, 'cut inside a literal': CUT, password: PASSWORD };
const ROUNDS = 5;
const PER_ROUND = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const lines = ['| statement | full | redacted | hidden |', '|---|---:|---:|---:|'];
for (const [name, sql] of Object.entries(STATEMENTS)) {
  const cells = (['full', 'redacted', 'hidden'] as QueryTextMode[]).map((mode) => {
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const started = performance.now();
      for (let i = 0; i < PER_ROUND; i++) showQueryText(sql, mode);
      rounds.push(((performance.now() - started) * 1000) / PER_ROUND);
    }
    return `${median(rounds).toFixed(0)} µs`;
  });
  lines.push(`| ${name} | ${cells.join(' | ')} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
