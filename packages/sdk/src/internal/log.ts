export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 99 };

const SECRET = /VENICE_(?:INFERENCE|ADMIN)_KEY_[A-Za-z0-9]+|Bearer\s+\S+/g;
const SECRET_FIELD = /^(authorization|apikey|signature|token|idempotency-key)$/i;

/** Replaces secrets anywhere in a value about to be logged: secret-bearing fields, and key-shaped strings. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(SECRET, '[redacted]');
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '[redacted]' : redact(v)]),
    );
  }
  return value;
}

/** A logger that drops what is below its level and redacts everything it passes on. */
export function leveledLogger(
  logger: Logger,
  level: LogLevel | undefined,
): (at: Exclude<LogLevel, 'off'>, message: string, data: Record<string, unknown>) => void {
  const threshold = LEVELS[level ?? 'warn'] ?? LEVELS.warn;
  return (at, message, data) => {
    if (LEVELS[at] >= threshold) logger[at](`venice: ${message}`, redact(data) as typeof data);
  };
}
