/** Secrets that must never reach a log line, whatever the message says. */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/g, 'Bearer [redacted]'],
  // Slack tokens: bot, user, app-level, refresh, configuration.
  [/\bxox[abposer]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/\bxapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  // Credentials inside connection URLs: postgres://user:secret@host → postgres://[redacted]@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1[redacted]@'],
  // libpq keyword form and similar key=value secrets.
  [/\b(password|passwd|pwd|secret|token)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s,;&]+)/gi, '$1=[redacted]'],
];

/** Scrubs tokens, passwords and connection-string credentials out of free text. */
export function redactText(text: string): string {
  return SECRET_PATTERNS.reduce((current, [pattern, replacement]) => current.replace(pattern, replacement), text);
}

/** Object paths pino censors in structured log fields. */
export const REDACTED_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'url',
  'actionUrl',
  'connectionString',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.password',
  '*.url',
  '*.actionUrl',
  '*.connectionString',
  'headers.authorization',
  'headers["x-slack-signature"]',
];
