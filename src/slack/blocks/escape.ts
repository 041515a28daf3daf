/**
 * The one place user and database text becomes safe mrkdwn: `&`, `<`, `>` escaped in that order, which
 * also defuses `<!channel>`, `<@U…>` and `<http://evil|innocent>` links.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped text for inside a code span or block: a backtick would end it, so it becomes a look-alike. */
export function escapeCode(text: string): string {
  return escapeMrkdwn(text).replace(/`/g, 'ˋ');
}

/** Slack escapes `&`, `<`, `>` in slash-command text; this undoes it so options parse as typed. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
