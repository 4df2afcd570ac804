/**
 * What the test upstream answers, as pure functions of the request: the knobs a request carries, the
 * token counts it reports, the bodies and stream chunks it sends. `server.ts` only does the I/O.
 *
 * Everything is deterministic so that tests can price a request exactly before sending it.
 */
import { Buffer } from 'node:buffer';

/** Behaviour asked for by one request. See README.md for how a request carries these. */
export interface Knobs {
  /** Answer with this status (and `body`, or an OpenAI-style error) instead of a completion. */
  status?: number;
  body?: string;
  /** Milliseconds before the response headers. */
  delay?: number;
  /** Milliseconds between stream chunks. */
  chunkDelay?: number;
  /** Never answer (not even headers) until the client goes away. */
  hang?: boolean;
  /** Streams: send this many content chunks, then nothing more (the connection stays open). */
  hangAfter?: number;
  /** Streams: send this many content chunks, then close the connection mid-answer. */
  dropAfter?: number;
  /** Reported prompt tokens (default: `promptTokensOf`). */
  prompt?: number;
  /** Completion tokens per choice, also the number of content chunks (default: `completionTokensOf`). */
  completion?: number;
  /** `usage=0`: report no usage at all (body without `usage`, no usage chunk). */
  usage?: boolean;
}

const NUMERIC = ['status', 'delay', 'chunkDelay', 'hangAfter', 'dropAfter', 'prompt', 'completion'] as const;

/** `status=500;delay=20` (also `&`-separated); unknown names are an error so that a typo fails loudly. */
export function parseKnobs(text: string): Knobs {
  const knobs: Knobs = {};
  for (const pair of text.split(/[;&]/)) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '1' : decodeURIComponent(pair.slice(eq + 1));
    if ((NUMERIC as readonly string[]).includes(name)) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`mock knob ${name} must be a whole number, got ${value}`);
      knobs[name as (typeof NUMERIC)[number]] = n;
    } else if (name === 'body') knobs.body = value;
    else if (name === 'hang') knobs.hang = value !== '0';
    else if (name === 'usage') knobs.usage = value !== '0';
    else throw new Error(`unknown mock knob ${JSON.stringify(name)}`);
  }
  return knobs;
}

/**
 * Knobs from the three places a request may carry them, later ones winning: the model name after `?`
 * (a catalog's `upstreamModel`), a string field `mock` in the body (passed through by the gateway),
 * and the `x-mock` header (for callers talking to the upstream directly).
 */
export function knobsOf(body: Record<string, unknown>, header: string | undefined): Knobs {
  const model = typeof body.model === 'string' ? body.model : '';
  const q = model.indexOf('?');
  return {
    ...(q >= 0 ? parseKnobs(model.slice(q + 1)) : {}),
    ...(typeof body.mock === 'string' ? parseKnobs(body.mock) : {}),
    ...(header ? parseKnobs(header) : {}),
  };
}

/** The model name without its knobs, as the upstream echoes it. */
const modelName = (body: Record<string, unknown>) => String(body.model).split('?')[0] as string;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => (p && typeof p === 'object' && typeof p.text === 'string' ? (p.text as string) : ''))
    .join('');
}

/**
 * The prompt tokens the upstream reports by default: per message, a quarter of its text's UTF-8 bytes
 * (rounded up) plus 4, plus 3 for the whole conversation; per embedding input, a quarter of its bytes
 * rounded up (a token array counts its length). Always within the gateway's byte-based upper bound.
 */
export function promptTokensOf(body: Record<string, unknown>): number {
  if (Array.isArray(body.messages)) {
    let n = 3;
    for (const m of body.messages) n += Math.ceil(utf8(textOf((m as { content?: unknown })?.content)) / 4) + 4;
    return n;
  }
  const inputs = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
  let n = 0;
  for (const input of inputs) n += Array.isArray(input) ? input.length : Math.ceil(utf8(String(input ?? '')) / 4);
  return n;
}

export const DEFAULT_COMPLETION_TOKENS = 8;

/** Per choice: the requested maximum (`max_completion_tokens` over `max_tokens`) when under 8, else 8. */
export function completionTokensOf(body: Record<string, unknown>): number {
  const positive = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);
  const max = positive(body.max_completion_tokens) ?? positive(body.max_tokens);
  return max === undefined ? DEFAULT_COMPLETION_TOKENS : Math.min(max, DEFAULT_COMPLETION_TOKENS);
}

/** One completion token; " hello" is a single token in the common BPE vocabularies. */
export const TOKEN_TEXT = ' hello';
export const CREATED = 1_700_000_000;

export interface Plan {
  model: string;
  choices: number;
  promptTokens: number;
  /** Per choice. */
  completionTokens: number;
  /** Whether `finish_reason` is `length`: the completion stopped at the requested maximum. */
  truncated: boolean;
  usage: boolean;
}

export function planChat(body: Record<string, unknown>, knobs: Knobs): Plan {
  const completionTokens = knobs.completion ?? completionTokensOf(body);
  const max = body.max_completion_tokens ?? body.max_tokens;
  return {
    model: modelName(body),
    choices: typeof body.n === 'number' && body.n > 1 ? body.n : 1,
    promptTokens: knobs.prompt ?? promptTokensOf(body),
    completionTokens,
    truncated: typeof max === 'number' && completionTokens >= max,
    usage: knobs.usage ?? true,
  };
}

function usageOf(p: Plan) {
  const completion = p.completionTokens * p.choices;
  return { prompt_tokens: p.promptTokens, completion_tokens: completion, total_tokens: p.promptTokens + completion };
}

const ID = 'chatcmpl-test-upstream';

export function chatCompletion(p: Plan): Record<string, unknown> {
  const choices = Array.from({ length: p.choices }, (_, index) => ({
    index,
    message: { role: 'assistant', content: TOKEN_TEXT.repeat(p.completionTokens), refusal: null },
    logprobs: null,
    finish_reason: p.truncated ? 'length' : 'stop',
  }));
  return {
    id: ID,
    object: 'chat.completion',
    created: CREATED,
    model: p.model,
    choices,
    ...(p.usage ? { usage: usageOf(p) } : {}),
  };
}

/** The `data:` payloads of a stream, in order, `[DONE]` excluded: role, one per token per choice, finish, usage. */
export function* chatChunks(p: Plan, includeUsage: boolean): Generator<string> {
  const withUsage = includeUsage && p.usage;
  const chunk = (choices: unknown[], usage?: unknown) =>
    JSON.stringify({
      id: ID,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: p.model,
      choices,
      ...(withUsage ? { usage: usage ?? null } : {}),
    });
  const each = (delta: object, finish: string | null = null) =>
    Array.from({ length: p.choices }, (_, index) => ({ index, delta, logprobs: null, finish_reason: finish }));
  yield chunk(each({ role: 'assistant', content: '' }));
  for (let i = 0; i < p.completionTokens; i++) yield chunk(each({ content: TOKEN_TEXT }));
  yield chunk(each({}, p.truncated ? 'length' : 'stop'));
  if (withUsage) yield chunk([], usageOf(p));
}

export function embeddings(body: Record<string, unknown>, knobs: Knobs): Record<string, unknown> {
  const inputs = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
  const dims = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : 8;
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((_, index) => {
    const vector = Float32Array.from({ length: dims }, (_, j) => Math.sin(index + j + 1));
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
    };
  });
  const prompt = knobs.prompt ?? promptTokensOf(body);
  return {
    object: 'list',
    data,
    model: modelName(body),
    ...((knobs.usage ?? true) ? { usage: { prompt_tokens: prompt, total_tokens: prompt } } : {}),
  };
}

export function errorBody(status: number): string {
  return JSON.stringify({
    error: { message: `test upstream error ${status}`, type: status < 500 ? 'invalid_request_error' : 'server_error' },
  });
}
