const MAX_INPUT = 64;

/** The closest valid choice to what the user typed, for "did you mean" hints. */
export function closestMatch(input: string, choices: readonly string[]): string | undefined {
  // Names are short: a long input is near none of them, and its edit distance would cost O(length × choice).
  if (input.length > MAX_INPUT) return undefined;
  let best: { choice: string; distance: number } | undefined;
  for (const choice of choices) {
    const distance = editDistance(input.toLowerCase(), choice.toLowerCase());
    if (!best || distance < best.distance) best = { choice, distance };
  }
  if (!best) return undefined;
  const tolerance = Math.max(2, Math.floor(best.choice.length / 3));
  const isPrefix = best.choice.startsWith(input.toLowerCase()) && input.length >= 2;
  return best.distance <= tolerance || isPrefix ? best.choice : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** "Did you mean `x`?" or a list of the valid choices. */
export function suggestion(input: string, choices: readonly string[], quote = (s: string) => `\`${s}\``): string {
  const near = closestMatch(input, choices);
  if (near) return `Did you mean ${quote(near)}?`;
  return `Valid choices: ${choices.map(quote).join(', ')}.`;
}
