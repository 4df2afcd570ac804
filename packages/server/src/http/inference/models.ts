import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { KeyWithAccount } from '../../domain/auth-cache.js';
import type { CatalogModel } from '../../domain/catalog.js';
import { isAppError } from '../../domain/errors.js';
import { privacyRefusal } from '../../domain/gateway/admission.js';
import type { KeyService } from '../../domain/keys.js';
import { parseWith } from '../validation.js';

/** Venice's model types (`venice-openapi.yaml`) plus ours; `all` lists everything, `code` the code models. */
const TYPES = ['asr', 'embedding', 'image', 'music', 'text', 'tts', 'upscale', 'inpaint', 'video', 'audio'] as const;
export const modelsQuery = z.strictObject({ type: z.enum([...TYPES, 'all', 'code']).default('text') });

const usd = (micros: bigint) => Number(micros) / 1e6;

/** One catalog model in Venice's `ModelResponse` shape; what the catalog does not know reads as false. */
export function modelResponse(m: CatalogModel): Record<string, unknown> {
  const price = { input: usd(m.pricing.inputPerMTok), output: usd(m.pricing.outputPerMTok) };
  const text = m.type === 'text';
  const spec: Record<string, unknown> = {
    name: m.id,
    privacy: m.privacy === 'anonymous' ? 'anonymized' : 'private',
    // One DIEM buys what one USD buys.
    pricing: { input: { usd: price.input, diem: price.input }, output: { usd: price.output, diem: price.output } },
    availableContextTokens: m.contextTokens,
    offline: false,
    beta: false,
    traits: [],
  };
  if (text) {
    spec.maxCompletionTokens = m.maxCompletionTokens;
    spec.capabilities = {
      optimizedForCode: false,
      quantization: 'not-available',
      supportsFunctionCalling: false,
      supportsAudioInput: false,
      supportsReasoning: false,
      supportsReasoningEffort: false,
      supportsResponseSchema: false,
      supportsMultipleImages: false,
      supportsVision: false,
      supportsVideoInput: false,
      supportsWebSearch: false,
      supportsLogProbs: false,
      supportsTeeAttestation: m.privacy === 'tee' || m.privacy === 'e2ee',
      supportsE2EE: m.privacy === 'e2ee',
      supportsXSearch: false,
    };
  }
  if (m.type === 'embedding') spec.maxInputTokens = m.contextTokens;
  return {
    id: m.id,
    object: 'model',
    // The catalog has no release dates.
    created: 0,
    owned_by: 'venice.ai',
    type: m.type,
    ...(text ? { context_length: m.contextTokens } : {}),
    model_spec: spec,
  };
}

/**
 * A caller that sends a usable key sees only the models that key may use; without a key, or with
 * one that does not authenticate, every model (a route that needs no key ignores a bad one).
 */
async function optionalCaller(req: FastifyRequest, keys: KeyService): Promise<KeyWithAccount | undefined> {
  const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  try {
    return await keys.authenticate(match[1] as string);
  } catch (error) {
    if (isAppError(error) && error.code === 'AUTH_FAILED') return undefined;
    throw error;
  }
}

export function modelRoutes(app: FastifyInstance, deps: { keys: KeyService; models: readonly CatalogModel[] }) {
  const all = deps.models.map((m) => ({ model: m, wire: modelResponse(m) }));
  app.get('/api/v1/models', { config: { auth: 'none' } }, async (req) => {
    const { type } = parseWith(modelsQuery, req.query);
    const caller = await optionalCaller(req, deps.keys);
    const data = all
      .filter(({ model }) => type === 'all' || model.type === type)
      .filter(({ model }) => !caller || privacyRefusal(caller.key, model) === undefined)
      .map(({ wire }) => wire);
    return { object: 'list', type, data };
  });
}
