/** Exit codes, as monitoring systems read them (Nagios plugin guidelines): the report's status, or 3 when it could not run. */
export const EXIT = { ok: 0, warn: 1, crit: 2, error: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
