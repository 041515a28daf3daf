import type { Env } from './load.js';

/**
 * Colour on a terminal: NO_COLOR (non-empty, no-color.org) turns it off, as does TERM=dumb or output that is not a
 * terminal; FORCE_COLOR (non-empty, force-color.org) turns it on even in a pipe, and wins over NO_COLOR as in
 * Node itself; FORCE_COLOR=0 or false turns it off.
 */
export function wantsColor(isTty: boolean, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force) return !/^(0|false)$/i.test(force);
  if (env.NO_COLOR) return false;
  return isTty && env.TERM !== 'dumb';
}
