import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { RequestMetrics } from '../metrics/prometheus.js';

/**
 * One log line per request, once its answer ended (streams included), carrying the caller's account
 * and key ids so that an operator can answer "which key did this" (never the secret). fastify's own
 * "incoming request" line is dropped: it is written before authentication and so could not say who.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: req.method,
      url: req.url,
      route: req.routeOptions.url ?? null,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      accountId: req.caller?.account.id,
      keyId: req.caller?.key.id,
      client: req.ip,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/** Requests by route template and status, and their latency, for the metrics listener. */
export function observeRequests(app: FastifyInstance, metrics?: RequestMetrics): void {
  if (!metrics) return;
  app.addHook('onResponse', async (req, reply) => {
    metrics.request(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
}
