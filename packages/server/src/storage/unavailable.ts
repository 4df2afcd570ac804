import type { DatabaseConnection, Driver } from 'kysely';
import { AppError } from '../domain/errors.js';

/**
 * What a request gets when the database cannot serve it right now (busy beyond its timeout, no
 * connection, a connection lost mid-query): a 503 the client may retry, never a 500.
 */
export function databaseUnavailable(cause: unknown): AppError {
  return new AppError('UNAVAILABLE', 'Database temporarily unavailable, please retry', { cause });
}

const patched = new WeakSet<DatabaseConnection>();

/**
 * Makes a driver's "cannot serve now" failures (per `isUnavailable`) AppError('UNAVAILABLE'), both
 * when it hands out a connection and when a query runs on one. The connection is patched in place:
 * drivers keep private state on their own connection objects.
 */
export function unavailableAs503(driver: Driver, isUnavailable: (e: unknown) => boolean): Driver {
  const map = (e: unknown) => (isUnavailable(e) ? databaseUnavailable(e) : e);
  const acquire = driver.acquireConnection.bind(driver);
  driver.acquireConnection = async () => {
    let connection: DatabaseConnection;
    try {
      connection = await acquire();
    } catch (e) {
      throw map(e);
    }
    if (!patched.has(connection)) {
      patched.add(connection);
      const execute = connection.executeQuery.bind(connection);
      connection.executeQuery = async (query) => {
        try {
          return await execute(query);
        } catch (e) {
          throw map(e);
        }
      };
    }
    return connection;
  };
  return driver;
}
