import { APIConnectionError, APIError, APITimeoutError, AuthenticationError } from '@venice-keys/sdk';

/** The server's own words: the SDK prefixes them with the status, which the notice shows apart. */
export function errorText(error: unknown): string {
  if (error instanceof APIError) return error.message.replace(/^\d{3}\s+/, '');
  if (error instanceof APITimeoutError) return 'The server did not answer in time.';
  if (error instanceof APIConnectionError) return 'The server could not be reached.';
  if (error instanceof Error) return error.message;
  return String(error);
}

export function errorDetail(error: unknown): string | undefined {
  if (!(error instanceof APIError)) return undefined;
  return [`HTTP ${error.status}`, error.requestID && `request ${error.requestID}`].filter(Boolean).join(' · ');
}

/** A 401 means the key is no longer good (revoked, expired, or not ADMIN): the person signs in again. */
export const isSignedOut = (error: unknown): boolean => error instanceof AuthenticationError;
