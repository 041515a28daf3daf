/** Secrets that must never reach a log line, whatever the message says. */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/g, 'Bearer [redacted]'],
  // Slack tokens: bot, user, app-level, refresh, configuration.
  [/\bxox[abposer]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/\bxapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  // Credentials inside connection URLs, up to the line's last "@" (a password may hold "@", "/" or spaces):
  // postgres://user:p@ss/w rd@host → postgres://[redacted]@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s:/@]*:.*@/gi, '$1[redacted]@'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1[redacted]@'],
  // JSON: "password": "…", "PGPASSWORD": "…", "signingSecret": "…".
  [/("[^"\s]*(?:password|passwd|pwd|secret|token)[^"\s]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"[redacted]"'],
  // libpq keyword form and similar key=value secrets.
  [/\b(password|passwd|pwd|secret|token)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s,;&]+)/gi, '$1=[redacted]'],
  // Environment assignments: PGPASSWORD=…, SLACK_SIGNING_SECRET=… ("KEY: problem" lines name settings, keep them).
  [/\b(\w+(?:password|passwd|pwd|secret|token))=("[^"]*"|'[^']*'|[^\s,;&]+)/gi, '$1=[redacted]'],
  // SQL: PASSWORD '…', E'…', $$…$$ (CREATE/ALTER ROLE in a statement that made it into a message).
  [/\b(password)\s+(?:(?:[eE]|[uU]&)?'(?:[^'\\]|''|\\.)*'?|\$\w*\$.*?(?:\$\w*\$|$))/gi, "$1 '[redacted]'"],
];

/** Scrubs tokens, passwords and connection-string credentials out of free text. */
export function redactText(text: string): string {
  return SECRET_PATTERNS.reduce((current, [pattern, replacement]) => current.replace(pattern, replacement), text);
}

/** Field names whose values are secrets whatever they look like. */
const SECRET_KEY =
  /pass(?:word|wd)?$|^pwd$|secret|token|^url$|actionurl|connectionstring|authorization|signature|cookie|credential|api_?key/i;
const MAX_DEPTH = 8;

/**
 * A log object with every secret out, at any depth: secret-named fields censored, every string scrubbed
 * (redactText), errors turned into plain objects (message, stack and their own fields, all scrubbed).
 */
export function redactValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (!value || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  if (value instanceof Date) return value;
  const entries = Object.entries(value);
  if (value instanceof Error)
    entries.unshift(
      ['type', value.name],
      ['message', value.message],
      ['stack', value.stack],
      ...(value.cause !== undefined ? [['cause', value.cause] as [string, unknown]] : []),
    );
  return Object.fromEntries(
    entries.map(([key, item]) => [
      key,
      SECRET_KEY.test(key) && item !== undefined && item !== null && typeof item !== 'object'
        ? '[redacted]'
        : redactValue(item, depth + 1, seen),
    ]),
  );
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
