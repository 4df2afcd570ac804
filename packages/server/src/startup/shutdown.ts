import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

export interface StopContext {
  app: FastifyInstance;
  runtime: Runtime;
  logger: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
  graceMs: number;
  signal: string;
  /** Other listeners (metrics) closed after the API. */
  also?: Array<{ close(): Promise<void> }>;
}

/**
 * Stops accepting, lets requests and streams in flight finish within the grace period (their
 * reservations settle as they end), then closes what is left, flushes through the app's onClose
 * hooks (ledger), and closes counters and store. A connection still open after the grace period is
 * cut: its reservation is settled later at the reserved amount, as after a crash.
 */
export async function stopGracefully(ctx: StopContext): Promise<void> {
  const { app, runtime, logger, graceMs, signal } = ctx;
  logger.info({ signal, graceMs }, 'shutting down: accepting nothing new, waiting for requests in flight');
  const deadline = setTimeout(() => {
    logger.warn({ graceMs }, 'grace period over: closing the connections still open');
    app.server.closeAllConnections();
  }, graceMs);
  // A keep-alive connection whose last answer ended is idle: closing it costs nobody anything, and
  // waiting for its keep-alive timeout would hold the stop until the grace period cuts everything.
  const idle = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await app.close();
  } finally {
    clearTimeout(deadline);
    clearInterval(idle);
  }
  for (const listener of ctx.also ?? []) await listener.close();
  await runtime.close();
  logger.info({ signal }, 'stopped');
}
