/**
 * The one place user and database text becomes safe for Slack. A role, application, table or query can be
 * named anything (`:white_check_mark: *Approved by sam*`, `<!channel>`, right-to-left overrides), and must
 * never render as pgmedic's own formatting, a mention, a link or reordered text.
 */

/** Bidi embeddings, overrides and isolates, zero-width and invisible format characters. */
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
/** C0/C1 controls other than tab and newline. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\u007F-\u009F]/g;

/** For every text Slack shows, plain_text and rich text included: no invisible or reordering characters. */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, '').replace(CONTROL, '');
}

const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);

/**
 * Safe mrkdwn: `&`, `<`, `>` escaped (in that order; defuses `<!channel>`, `<@U…>`, `<http://evil|innocent>`),
 * and every formatting character neutralised by a look-alike, since mrkdwn has no escape for them:
 * `*` bold, `~` strike, `` ` `` code, the colons of an `:emoji:` code, and `_` where it could open or close
 * italics (at a word's edge; `orders_created_at_idx` keeps its underscores).
 */
export function escapeMrkdwn(text: string): string {
  return neutraliseEmoji(visibleText(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\*/g, '∗')
    .replace(/~/g, '∼')
    .replace(/`/g, 'ˋ')
    .replace(/_/g, (underscore, at: number, all: string) =>
      isWordChar(all[at - 1]) && isWordChar(all[at + 1]) ? underscore : '＿',
    );
}

/**
 * pgmedic's own sentences that quote typed or database text (error and refusal notes): escaped the same way,
 * except backticks, which these sentences use for code (a stray one can only open a code span, which shows
 * text literally).
 */
export function escapeProse(text: string): string {
  return text.split('`').map(escapeMrkdwn).join('`');
}

/**
 * Database text inside plain_text that turns `:emoji:` codes into emoji (headers, buttons, confirm dialogs,
 * where pgmedic's own status emoji live): the colons of an emoji code become look-alikes.
 */
export function escapePlain(text: string): string {
  return neutraliseEmoji(visibleText(text));
}

const neutraliseEmoji = (text: string) => text.replace(/:(?=[\p{L}\p{N}_+'-]+:)/gu, '∶');

/** Escaped text for inside a code span or block (the same rules: a backtick would end it). */
export function escapeCode(text: string): string {
  return escapeMrkdwn(text);
}

/** Escaped, on one line: database text cannot start a line of its own (a forged "Approved by" line). */
export function escapeInline(text: string): string {
  return escapeMrkdwn(text.replace(/\s*\n\s*/g, ' '));
}

/** Slack escapes `&`, `<`, `>` in slash-command text; this undoes it so options parse as typed. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
