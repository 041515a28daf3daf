import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** docs/ARCHITECTURE.md: each state table's SQL sits in src/state, beside its migration; nobody else names the tables. */
const ROOTS = ['src', 'commands', 'actions'];
const STATE_TABLE = /\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+pgmedic\.([a-z_]+)/g;

function statementsNaming(): string[] {
  return ROOTS.flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(root, file))
      .filter((file) => !file.startsWith('src/state/'))
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(STATE_TABLE)].map((m) => `${file}: ${m[1]}`)),
  );
}

describe('state database SQL (docs/ARCHITECTURE.md)', () => {
  it('finds the state tables where they are named (the reader works)', () => {
    const text = readFileSync('src/state/alerts.ts', 'utf8');
    expect([...text.matchAll(STATE_TABLE)].map((m) => m[1])).toContain('alerts');
  });

  it('names a state table only in src/state', () => {
    expect(statementsNaming()).toEqual([]);
  });
});
