import { AppError } from '../errors.js';

interface PgLikeError {
  code?: string;
  message?: string;
}

function isPgLikeError(value: unknown): value is PgLikeError & Error {
  return value instanceof Error && typeof (value as PgLikeError).code === 'string';
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

/** Turns a driver or server error into an AppError with words a DBA would use. */
export function toAppError(error: unknown, context: { target: string; command?: string }): AppError {
  if (error instanceof AppError) return error;
  const where = `target "${context.target}"`;
  const message = error instanceof Error ? error.message : String(error);
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
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P03') {
    return new AppError('target_unreachable', `Could not connect to ${where} (${message}).`, {
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
    return new AppError('lock_timeout', `A lock on ${where} is held by another session, so the query gave up after its lock timeout.`, {
      hint: 'Run `locks` to see who holds it.',
      cause: error,
    });
  }
  if (code === '42501') {
    return new AppError('permission_denied', `Permission denied on ${where}: ${message}.`, {
      hint: 'Grant the monitoring role pg_monitor (see the README, "Database roles").',
      cause: error,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new AppError('target_unreachable', `The server for ${where} refused the login: ${message}.`, {
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
