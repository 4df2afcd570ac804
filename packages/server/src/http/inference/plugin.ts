import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { AppError } from '../../domain/errors.js';
import { PromptCalibration } from '../../domain/gateway/bounds.js';
import type { KeyService } from '../../domain/keys.js';
import type { Metrics } from '../../domain/ports/metrics.js';
import { UpstreamClient } from '../../upstream/client.js';
import { registerAuth } from '../auth.js';
import { adminErrorHandler } from '../plumbing.js';
import type { InferenceGateway } from './exchange.js';
import { modelRoutes } from './models.js';
import { Catalog } from './requests.js';
import { inferenceRoutes } from './routes.js';

export interface InferenceDeps {
  keys: KeyService;
  /** Absent (an app built for the admin API only): chat and embeddings answer 503. */
  gateway: InferenceGateway | undefined;
  /** The catalog, `upstream` and `limits.inferenceBodyBytes`. */
  config: Pick<Config, 'models' | 'upstream' | 'limits'>;
  metrics?: Metrics;
}

const NO_GATEWAY: InferenceGateway = {
  admit: async () => {
    throw new AppError('UNAVAILABLE', 'Inference is not available on this server.');
  },
  recordFailure: async () => {},
};

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const TOO_LARGE = 'Request body exceeds the maximum allowed size.';

function inferenceErrorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return adminErrorHandler(new AppError('PAYLOAD_TOO_LARGE', TOO_LARGE) as unknown as FastifyError, req, reply);
  }
  return adminErrorHandler(error, req, reply);
}

/**
 * The inference surface (the gateway's routes): any key authenticates, bodies may be large, and
 * errors speak Venice's inference strings. Encapsulated, so nothing here leaks into the admin API.
 */
export async function inferencePlugin(app: FastifyInstance, deps: InferenceDeps): Promise<void> {
  const { config } = deps;
  const gateway = deps.gateway ?? NO_GATEWAY;
  const bodyLimit = config.limits.inferenceBodyBytes;
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimit;
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPE, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  registerAuth(app, deps.keys, 'any');
  app.setErrorHandler(inferenceErrorHandler);

  // Every inference answer with a 4xx other than 429 counts against the caller's error budget.
  // A callback hook: the 2xx of nearly every request returns at once, without a promise.
  app.addHook('onResponse', (req, reply, done) => {
    const status = reply.statusCode;
    if (!req.caller || status < 400 || status >= 500 || status === 429) return done();
    gateway.recordFailure(req.caller.key, req.caller.account, status, req.inferenceModel).then(() => done(), done);
  });

  const upstream = new UpstreamClient(config.upstream, deps.metrics);
  app.addHook('onClose', () => upstream.close());
  const relayDeps = { gateway, upstream, calibration: new PromptCalibration() };
  inferenceRoutes(app, { ...relayDeps, catalog: new Catalog(config.models) });
  modelRoutes(app, { keys: deps.keys, models: config.models });
}
