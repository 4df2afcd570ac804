import type { FastifyInstance } from 'fastify';
import type { CatalogModel } from '../../domain/catalog.js';
import {
  chatBounds,
  embeddingBounds,
  estimateChatPromptTokens,
  estimateStreamedTokens,
  type TokenBounds,
} from '../../domain/gateway/bounds.js';
import type { Exchange } from './exchange.js';
import { type RelayDeps, relay } from './relay.js';
import {
  type Catalog,
  type ChatRequest,
  type EmbeddingRequest,
  parseChat,
  parseEmbedding,
  parseObject,
} from './requests.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The model an inference request named, for the breach log of the error budget. */
    inferenceModel: string | undefined;
  }
}

interface RouteSpec<B extends Record<string, unknown>> {
  url: string;
  path: Exchange['path'];
  type: CatalogModel['type'];
  /** What the route is for, in the 400 for a model of another type. */
  purpose: string;
  parse(body: Record<string, unknown>): B & { model: string };
  bounds(body: B, model: CatalogModel): TokenBounds;
  estimatePrompt(body: B, bounds: TokenBounds): Promise<number>;
  stream(body: B): boolean;
}

function embeddingTexts(body: EmbeddingRequest): string {
  const inputs: readonly unknown[] = typeof body.input === 'string' ? [body.input] : body.input;
  return inputs.filter((i): i is string => typeof i === 'string').join('\n');
}

const CHAT: RouteSpec<ChatRequest> = {
  url: '/api/v1/chat/completions',
  path: 'chat/completions',
  type: 'text',
  purpose: 'chat completions',
  parse: parseChat,
  bounds: chatBounds,
  estimatePrompt: (body, bounds) => estimateChatPromptTokens(body, bounds.promptTokensUpper),
  stream: (body) => body.stream === true,
};

const EMBEDDINGS: RouteSpec<EmbeddingRequest> = {
  url: '/api/v1/embeddings',
  path: 'embeddings',
  type: 'embedding',
  purpose: 'embeddings',
  parse: parseEmbedding,
  bounds: embeddingBounds,
  estimatePrompt: (body, bounds) => estimateStreamedTokens(embeddingTexts(body), 0, bounds.promptTokensUpper),
  stream: () => false,
};

/** POST /chat/completions and POST /embeddings: validate, bound, then relay. */
export function inferenceRoutes(app: FastifyInstance, deps: RelayDeps & { catalog: Catalog }): void {
  app.decorateRequest('inferenceModel', undefined);
  const route = <B extends Record<string, unknown>>(spec: RouteSpec<B>) =>
    app.post(spec.url, async (req, reply) => {
      const object = parseObject(req.body);
      req.inferenceModel = object.model as string;
      const body = spec.parse(object);
      const model = deps.catalog.resolve(body.model, spec.type, spec.purpose);
      const bounds = spec.bounds(body, model);
      return relay(req, reply, deps, {
        path: spec.path,
        model,
        body,
        raw: req.body as Buffer,
        stream: spec.stream(body),
        bounds,
        estimatePrompt: () => spec.estimatePrompt(body, bounds),
      });
    });
  route(CHAT);
  route(EMBEDDINGS);
}
