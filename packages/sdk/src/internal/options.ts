import { VeniceValidationError } from '../core/errors.js';

/** An absolute URL without query or fragment; a bare origin gets `/api/v1`. */
export function normaliseBaseURL(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VeniceValidationError(`Invalid baseURL: ${JSON.stringify(raw)} is not an absolute URL`, 'baseURL');
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v1';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** The options a client and a single request share. */
export function checkOptions(o: { timeout?: number | undefined; maxRetries?: number | undefined }): void {
  if (o.timeout !== undefined && !(typeof o.timeout === 'number' && o.timeout > 0)) {
    throw new VeniceValidationError('Invalid timeout: expected a positive number of milliseconds', 'timeout');
  }
  if (o.maxRetries !== undefined && !(Number.isInteger(o.maxRetries) && o.maxRetries >= 0)) {
    throw new VeniceValidationError('Invalid maxRetries: expected a whole number, 0 or more', 'maxRetries');
  }
}

export function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new VeniceValidationError(
      'Invalid idempotencyKey: expected 1 to 255 visible ASCII characters',
      'idempotencyKey',
    );
  }
}

export function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
