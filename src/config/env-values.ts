import { z } from 'zod';
import type { Env } from './load.js';

/** The variables that are set to something: an empty value counts as unset, as in a shell's `X= cmd`. */
export function presentValues(env: Env, keys?: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && entry[1] !== '' && (!keys || keys.includes(entry[0])),
    ),
  );
}

/** "a, b,c" → ['a', 'b', 'c'] (blanks dropped), each checked by `item`; unset is the empty list. */
export const commaList = (item: z.ZodString) =>
  z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));
