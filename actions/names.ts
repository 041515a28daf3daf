/**
 * The healing actions by name: a typed union, so reports, alerts and the approval card can only offer an action
 * that exists. actions/index.ts lists their definitions in the same order (a test holds the two together).
 */
export const ACTION_NAMES = [
  'cancel',
  'terminate',
  'vacuum-table',
  'analyze',
  'reindex',
  'drop-index',
  'explain-analyze',
] as const;

export type ActionName = (typeof ACTION_NAMES)[number];
