import { describe, expect, it } from 'vitest';
import { ACTIONS, isDestructive } from '../../actions/index.js';
import { ACTION_NAMES } from '../../actions/names.js';
import { listCommands } from '../../src/engine/registry.js';

describe('the actions room', () => {
  it('lists exactly the named actions, in the order of the typed union, each an approval-gated action', () => {
    expect(ACTIONS.map((a) => a.name)).toEqual([...ACTION_NAMES]);
    for (const action of ACTIONS)
      expect({ name: action.name, kind: action.kind, hasSpec: Boolean(action.action) }).toEqual({
        name: action.name,
        kind: 'action',
        hasSpec: true,
      });
    expect(listCommands('action').map((c) => c.name)).toEqual([...ACTION_NAMES]);
  });

  it('asks "are you sure?" for what ends or removes something, and for nothing it does not know', () => {
    const destructive = ACTION_NAMES.filter((name) => isDestructive(name));
    expect(destructive).toEqual(['cancel', 'terminate', 'reindex', 'drop-index']);
    expect(isDestructive('vacuum-table')).toBe(false);
    expect(isDestructive('no-such-action')).toBe(false);
  });
});
