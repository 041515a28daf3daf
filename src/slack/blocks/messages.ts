import { escapeMrkdwn, escapeProse } from './escape.js';
import type { KnownBlock } from './kit.js';
import { LIMITS, clip } from './limits.js';

export interface PlainMessage {
  text: string;
  blocks?: KnownBlock[];
}

/** The note the user sees at once, before any SQL runs. */
export function runningNote(command: string, target: string): PlainMessage {
  return { text: `:hourglass_flowing_sand: Running \`${escapeMrkdwn(command)}\` on \`${escapeMrkdwn(target)}\`…` };
}

/** A short error for the user: what went wrong and what to try next (describeError's text), never a stack. */
export function errorNote(text: string): PlainMessage {
  return { text: clip(`:warning: ${escapeProse(text)}`, LIMITS.messageText) };
}

export function refusalNote(reason: string): PlainMessage {
  return { text: clip(`:no_entry: ${escapeProse(reason)}`, LIMITS.messageText) };
}

/** The ack of `/pg <action>`: a preview runs, then an approval card; nothing changes yet. */
export function requestingNote(action: string, target: string): PlainMessage {
  return {
    text: `:hourglass_flowing_sand: Checking \`${escapeMrkdwn(action)}\` on \`${escapeMrkdwn(target)}\` and asking for approval…`,
  };
}
