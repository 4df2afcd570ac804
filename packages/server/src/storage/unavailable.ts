import { AppError } from '../domain/errors.js';

/**
 * What a request gets when the database cannot serve it right now (busy beyond its timeout, no
 * connection, a connection lost mid-query): a 503 the client may retry, never a 500.
 */
export function databaseUnavailable(cause: unknown): AppError {
  return new AppError('UNAVAILABLE', 'Database temporarily unavailable, please retry', { cause });
}
