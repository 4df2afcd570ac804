import type { FastifyInstance } from 'fastify';
import {
  chatBounds,
  embeddingBounds,
  estimateChatPromptTokens,
  estimateStreamedTokens,
} from '../../domain/gateway/bounds.js';
import { type RelayDeps, relay } from './relay.js';
import { type Catalog, parseChat, parseEmbedding, parseObject } from './requests.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The model an inference request named, for the breach log of the error budget. */
    inferenceModel: string | undefined;
  }
}

/** POST /chat/completions and POST /embeddings: validate, bound, then relay. */
export function inferenceRoutes(app: FastifyInstance, deps: RelayDeps & { catalog: Catalog }): void {
  app.decorateRequest('inferenceModel', undefined);

  app.post('/api/v1/chat/completions', async (req, reply) => {
    const object = parseObject(req.body);
    req.inferenceModel = object.model as string;
    const body = parseChat(object);
    const model = deps.catalog.resolve(body.model, 'text', 'chat completions');
    const bounds = chatBounds(body, model);
    return relay(req, reply, deps, {
      path: 'chat/completions',
      model,
      body,
      raw: req.body as Buffer,
      stream: body.stream === true,
      bounds,
      estimatePrompt: () => estimateChatPromptTokens(body, bounds.promptTokensUpper),
    });
  });

  app.post('/api/v1/embeddings', async (req, reply) => {
    const object = parseObject(req.body);
    req.inferenceModel = object.model as string;
    const body = parseEmbedding(object);
    const model = deps.catalog.resolve(body.model, 'embedding', 'embeddings');
    const bounds = embeddingBounds(body, model);
    const texts =
      typeof body.input === 'string'
        ? [body.input]
        : (body.input as readonly unknown[]).filter((i): i is string => typeof i === 'string');
    return relay(req, reply, deps, {
      path: 'embeddings',
      model,
      body,
      raw: req.body as Buffer,
      stream: false,
      bounds,
      estimatePrompt: () => estimateStreamedTokens(texts.join('\n'), 0, bounds.promptTokensUpper),
    });
  });
}
