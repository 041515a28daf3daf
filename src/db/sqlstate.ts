import { AppError, withoutAddresses } from '../errors.js';

interface PgLikeError {
  code?: string;
  message?: string;
}

function isPgLikeError(value: unknown): value is PgLikeError & Error {
  return value instanceof Error && typeof (value as PgLikeError).code === 'string';
}

/** Network failures in words: the driver's own messages name the address (`connect ECONNREFUSED 10.0.0.5:5432`). */
const CONNECTION_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'nothing accepts connections at its address',
  ENOTFOUND: 'its host name does not resolve',
  EAI_AGAIN: 'its host name could not be resolved right now',
  EHOSTUNREACH: 'its host is unreachable',
  ENETUNREACH: 'its network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the connection was reset',
};

/** Turns a driver or server error into an AppError with words a DBA would use. */
export function toAppError(error: unknown, context: { target: string; command?: string }): AppError {
  if (error instanceof AppError) return error;
  const where = `target "${context.target}"`;
  const message = withoutAddresses(error instanceof Error ? error.message : String(error));
  if (/timeout expired|Connection terminated due to connection timeout/i.test(message)) {
    return new AppError('target_unreachable', `Could not connect to ${where}: the connection timed out.`, {
      hint: 'Check that the server is up and reachable from the bot, then try again.',
      cause: error,
    });
  }
  if (!isPgLikeError(error)) {
    return new AppError('internal', message, { cause: error });
  }
  const code = error.code ?? '';
  if (CONNECTION_CAUSES[code] || code.startsWith('08') || code === '57P03') {
    return new AppError('target_unreachable', `Could not connect to ${where}: ${CONNECTION_CAUSES[code] ?? message}.`, {
      hint: 'Check that the server is up and reachable from the bot, then try again.',
      cause: error,
    });
  }
  if (code === '57014') {
    return new AppError('timeout', `The query on ${where} hit its statement timeout.`, {
      hint: 'The server may be overloaded; try again, or raise statementTimeoutMs for this target.',
      cause: error,
    });
  }
  if (code === '55P03') {
    return new AppError(
      'lock_timeout',
      `A lock on ${where} is held by another session, so the query gave up after its lock timeout.`,
      {
        hint: 'Run `locks` to see who holds it.',
        cause: error,
      },
    );
  }
  if (code === '42501') {
    return new AppError('permission_denied', `Permission denied on ${where}: ${message}.`, {
      hint: 'Grant the monitoring role pg_monitor (see the README, "Database roles").',
      cause: error,
    });
  }
  if (code === '28P01' || code === '28000') {
    const cause =
      code === '28P01'
        ? 'the password was not accepted'
        : /pg_hba/.test(message)
          ? 'its pg_hba.conf does not allow this login'
          : 'the role does not exist or may not log in';
    return new AppError('target_unreachable', `The server for ${where} refused the login: ${cause}.`, {
      hint: 'Check the user and password in the target URL.',
      cause: error,
    });
  }
  if (code === '3D000') {
    return new AppError('target_unreachable', `The database for ${where} does not exist: ${message}.`, {
      hint: 'Check the database name in the target URL.',
      cause: error,
    });
  }
  if (code === '57P01' || code === '57P02') {
    return new AppError('target_unreachable', `The server for ${where} is shutting down or restarting.`, {
      hint: 'Try again in a moment.',
      cause: error,
    });
  }
  return new AppError('sql_error', `PostgreSQL error ${code} on ${where}: ${message}.`, { cause: error });
}

/**
 * A failure of the server itself (no answer, a socket error, shutting down or starting up), as opposed to one of its
 * databases or roles (missing database, refused login): every database of that server fails the same way right now.
 */
export function isServerDown(error: unknown): boolean {
  const cause = error instanceof AppError ? error.cause : error;
  if (cause instanceof Error && /timeout expired|Connection terminated due to connection timeout/i.test(cause.message))
    return true;
  if (!isPgLikeError(cause)) return false;
  const code = cause.code ?? '';
  return Boolean(CONNECTION_CAUSES[code]) || code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code);
}
