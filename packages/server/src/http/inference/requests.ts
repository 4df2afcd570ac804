import { z } from 'zod';
import type { CatalogModel } from '../../domain/catalog.js';
import { AppError } from '../../domain/errors.js';
import type { ChatBody, EmbeddingBody } from '../../domain/gateway/bounds.js';
import { parseWith } from '../validation.js';

/**
 * Inference request bodies. Only the fields the gateway reads are checked (their types, so that the
 * bounds are computed from what the upstream will see); everything else passes through unchanged to
 * the upstream, which validates its own parameters.
 */

const tokens = z.number().int().nullish();

export const chatSchema = z.looseObject({
  model: z.string(),
  messages: z.array(z.looseObject({ role: z.string() })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: tokens,
  max_completion_tokens: tokens,
  n: z.number().int().min(1).nullish(),
});

const tokenArray = z.array(z.number().int().min(0));
export const embeddingSchema = z.looseObject({
  model: z.string(),
  input: z.union([z.string(), z.array(z.string()).min(1), tokenArray.min(1), z.array(tokenArray.min(1)).min(1)]),
});

export type ChatRequest = ChatBody & z.infer<typeof chatSchema>;
export type EmbeddingRequest = EmbeddingBody & z.infer<typeof embeddingSchema>;

/** The body as a JSON object; `model` is checked first, with Venice's own messages. */
export function parseObject(raw: unknown): Record<string, unknown> {
  let body: unknown = {};
  if (Buffer.isBuffer(raw) && raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError('BAD_REQUEST', 'Invalid JSON request');
    }
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('BAD_REQUEST', 'Request body must be a JSON object');
  }
  const model = (body as { model?: unknown }).model;
  if (model === undefined || model === null) throw new AppError('BAD_REQUEST', 'model is required');
  if (typeof model !== 'string') throw new AppError('BAD_REQUEST', 'model must be a string');
  return body as Record<string, unknown>;
}

export const parseChat = (body: Record<string, unknown>): ChatRequest => parseWith(chatSchema, body) as ChatRequest;
export const parseEmbedding = (body: Record<string, unknown>): EmbeddingRequest =>
  parseWith(embeddingSchema, body) as EmbeddingRequest;

export class Catalog {
  private readonly byId: Map<string, CatalogModel>;

  constructor(readonly models: readonly CatalogModel[]) {
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  /** The model a request names, if it is of the type the route serves (`purpose` names the route in the 400). */
  resolve(id: string, type: CatalogModel['type'], purpose: string): CatalogModel {
    const model = this.byId.get(id);
    if (!model) throw new AppError('NOT_FOUND', `Specified model not found: ${id}`);
    if (model.type !== type) throw new AppError('BAD_REQUEST', `Model ${id} cannot be used for ${purpose}`);
    return model;
  }
}
