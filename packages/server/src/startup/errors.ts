/**
 * A start that cannot proceed for a reason the operator can fix: its message is the one line printed
 * (what failed and where); the cause is shown only at LOG_LEVEL=debug.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'a file of that name is in the way',
  ENOSPC: 'no space left on the device',
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'the address is not available on this machine',
};

/** The system error code of an error, also when Node wraps several attempts in an AggregateError. */
export function errorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const own = (e as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  const inner = (e as { errors?: unknown[] }).errors?.[0];
  return inner === undefined ? undefined : errorCode(inner);
}

/** "permission denied (EACCES)", or the error's own message when it has no known code. */
export function reason(e: unknown): string {
  const code = errorCode(e);
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  const message = e instanceof Error ? e.message : String(e);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

export const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

export function listenFailure(e: unknown, host: string, port: number): unknown {
  const code = errorCode(e);
  if (!code?.startsWith('E')) return e;
  return new StartupError(`cannot listen on ${host}:${port}: ${reason(e)}`, { cause: e });
}

/** The line printed when a start fails: what failed and where; the stack only when asked for. */
export function describeFailure(error: unknown, debug: boolean): string {
  const stackOf = (e: unknown) => (e instanceof Error && e.stack ? `\n${e.stack}` : '');
  if (error instanceof StartupError)
    return `venice-keys: ${error.message}${debug ? stackOf(error.cause ?? error) : ''}`;
  if (error instanceof Error && error.name === 'ConfigError') {
    return `venice-keys: invalid configuration: ${error.message}${debug ? stackOf(error) : ''}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `venice-keys: failed to start: ${message}${debug ? stackOf(error) : ' (LOG_LEVEL=debug shows the stack)'}`;
}
