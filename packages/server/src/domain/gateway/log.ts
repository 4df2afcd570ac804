/** Something pino-like: the gateway reports what it cannot throw (a settlement that failed). */
export interface GatewayLog {
  warn(detail: object, message: string): void;
  error(detail: object, message: string): void;
}

/** The message only: an adapter's error (an ioredis stack) never reaches the log whole. */
export const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
