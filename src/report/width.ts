/**
 * Terminal columns of a string, for aligned text tables. string-width measures wide characters (CJK, emoji) and
 * zero-width ones (combining marks, joiners) by grapheme, but costs ~40 ms to load and ~30 ms on its first call
 * (Unicode segmenter, emoji tables): too much for a CLI run that prints only narrow text, as nearly every run does.
 * So it is loaded only when some text needs it: callers `await prepareDisplayWidth(text)` before rendering (the
 * CLI does, and the bot loads it once it is up). Until then, wide text is counted by code points.
 */
type Measure = (text: string) => number;
let stringWidth: Measure | undefined;

/** One column each: ASCII, Latin-1 and Latin Extended (soft hyphen aside), general punctuation, arrows, math. */
const NARROW = /^[\x20-\x7e\u00a0-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u22ff]*$/;

/** Loads string-width if `text` has a character outside the narrow set, or always without `text`. */
export async function prepareDisplayWidth(text?: string): Promise<void> {
  if (stringWidth || (text !== undefined && NARROW.test(text))) return;
  stringWidth = (await import('string-width')).default;
}

export function displayWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  return stringWidth ? stringWidth(text) : [...text].length;
}
