/**
 * How query text from a target is shown and stored (the target's `queryText` setting); see query-text.ts.
 * Apart from it so the config schema does not load the parser.
 */
export type QueryTextMode = 'full' | 'redacted' | 'hidden';

export const QUERY_TEXT_MODES = ['full', 'redacted', 'hidden'] as const;
export const DEFAULT_QUERY_TEXT_MODE: QueryTextMode = 'redacted';
