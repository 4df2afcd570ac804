import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  RateLimitError,
  VeniceValidationError,
} from '@venice-keys/sdk';
import { CommanderError } from 'commander';

/**
 * Exit codes, so that scripts can tell failures apart without reading messages:
 * 2 the command cannot be done as given (bad arguments, a 400/409/422),
 * 3 authentication or permission (401, 402, 403, no key), 4 not found, 5 rate limited,
 * 1 the server failed or could not be reached, a confirmation was declined, anything unexpected.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 3, notFound: 4, rateLimited: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI itself detected, with the exit code it stands for. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

function statusExit(status: number): ExitCode {
  if (status === 401 || status === 402 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 429) return EXIT.rateLimited;
  if (status === 400 || status === 409 || status === 422) return EXIT.usage;
  return EXIT.failure;
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof VeniceValidationError) return EXIT.usage;
  if (error instanceof APIError) return statusExit(error.status);
  return EXIT.failure;
}

const seconds = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))} s`;

/**
 * One readable line: the server's own message (the SDK prefixes the status, shown at the end instead),
 * the request id of a 5xx for support, the wait of a 429. Never a stack, never a header.
 */
export function describeError(error: unknown, baseURL?: string): string {
  if (error instanceof CliError || error instanceof VeniceValidationError) return error.message;
  if (error instanceof APIError) {
    const text = error.message.replace(/^\d{3} /, '');
    const extra = [`HTTP ${error.status}`];
    if (error.status >= 500 && error.requestID) extra.push(`request id ${error.requestID}`);
    if (error instanceof RateLimitError && error.retryAfterMs !== undefined) {
      extra.push(`retry in ${seconds(error.retryAfterMs)}`);
    }
    return `${text} (${extra.join(', ')})`;
  }
  if (error instanceof APITimeoutError) return `no answer from ${baseURL ?? 'the server'} in time`;
  if (error instanceof APIConnectionError) {
    const cause = error.cause as { cause?: { code?: string; message?: string }; message?: string } | undefined;
    const why = cause?.cause?.code ?? cause?.cause?.message ?? cause?.message;
    return `could not reach ${baseURL ?? 'the server'}${why ? ` (${why})` : ''}`;
  }
  if (error instanceof APIUserAbortError) return 'interrupted';
  return error instanceof Error ? error.message : String(error);
}
