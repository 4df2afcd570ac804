import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Metrics } from './domain/ports/metrics.js';
import { ADMIN_BODY_LIMIT_BYTES, adminPlugin } from './http/admin/plugin.js';
import { dashboard } from './http/dashboard.js';
import { healthRoutes, type ReadinessCheck } from './http/health.js';
import type { InferenceGateway } from './http/inference/exchange.js';
import { inferencePlugin } from './http/inference/plugin.js';
import { methodTable } from './http/methods.js';
import { observeRequests, RequestLog } from './http/observe.js';
import { openapiRoute } from './http/openapi.js';
import { registerPlumbing, requestId } from './http/plumbing.js';
import {
  boundRequestsWhileClosing,
  capConnectionsPerClient,
  clientErrorHandler,
  frameworkErrors,
} from './http/transport.js';
import type { RequestMetrics } from './metrics/prometheus.js';
import type { Runtime } from './runtime.js';
import { packageVersion } from './startup/cli.js';

export interface AppDeps extends Pick<Runtime, 'config' | 'clock' | 'services'> {
  /** Admission and settlement of inference requests; without it chat and embeddings answer 503. */
  gateway?: InferenceGateway;
  /** A pino logger; omitted means silent (tests). */
  logger?: FastifyBaseLogger;
  /** Prometheus when METRICS_PORT is set: request metrics here, the domain's through the surfaces. */
  metrics?: RequestMetrics & Metrics;
  readiness?: readonly ReadinessCheck[];
}

/** A hop count becomes fastify's trust function: the nearest `n` proxies are trusted. */
function trustProxyOption(t: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === 'number' ? (_address, hop) => hop < t : t;
}

/** Builds the HTTP app from its dependencies. Reads no environment and does not listen. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { services, clock } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Unknown paths are refused like admin requests; each surface sets its own limit for its routes.
    bodyLimit: ADMIN_BODY_LIMIT_BYTES,
    trustProxy: trustProxyOption(deps.config.trustProxy),
    genReqId: requestId,
    // refuseWhileClosing answers in the contract's shape instead.
    return503OnClosing: false,
    // Ids longer than the router's default of 100 reach the route, which answers them like any unknown id.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
    // Headers and body must arrive within requestTimeout (a response may stream for longer); Node
    // checks every second instead of every 30 s, so a trickling client is cut close to the bound.
    requestTimeout: deps.config.limits.requestTimeoutMs,
    http: { requireHostHeader: false, connectionsCheckingInterval: 1_000 },
    clientErrorHandler,
    frameworkErrors,
    // One line per request after authentication, with the account and key ids.
    logController: new RequestLog(),
  });
  registerPlumbing(app);
  app.server.headersTimeout = deps.config.limits.requestTimeoutMs;
  boundRequestsWhileClosing(app, deps.config.limits.requestTimeoutMs);
  if (deps.config.trustProxy === false) capConnectionsPerClient(app, deps.config.limits.connectionsPerClient);
  observeRequests(app, deps.metrics);
  const methods = methodTable(app);
  await app.register(adminPlugin, { services, clock });
  await app.register(inferencePlugin, {
    keys: services.keys,
    gateway: deps.gateway,
    config: deps.config,
    metrics: deps.metrics,
  });
  await app.register(dashboard, {});
  await app.register(healthRoutes, { checks: deps.readiness ?? [] });
  await app.register(openapiRoute, { version: packageVersion() });
  methods.refuseUnserved();

  await app.ready();
  return app;
}
