import type { FastifyInstance } from 'fastify';
import type { KeyService } from '../../domain/keys.js';
import { registerAuth } from '../auth.js';
import { adminErrorHandler } from '../plumbing.js';

/** Chat prompts with long contexts and images are large: the inference surface has a limit of its own. */
export const INFERENCE_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

export interface InferenceDeps {
  keys: KeyService;
  /** `limits.inferenceBodyBytes`. */
  bodyLimitBytes?: number;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The inference surface (the gateway's routes): any key authenticates, bodies may be large, and
 * errors speak Venice's inference strings. Encapsulated, so nothing here leaks into the admin API.
 */
export async function inferencePlugin(app: FastifyInstance, deps: InferenceDeps): Promise<void> {
  const bodyLimit = deps.bodyLimitBytes ?? INFERENCE_BODY_LIMIT_BYTES;
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimit;
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPE, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  registerAuth(app, deps.keys, 'any');
  // The hook point for Venice's inference error shapes; until the gateway lands it maps like the admin API.
  app.setErrorHandler(adminErrorHandler);
}
