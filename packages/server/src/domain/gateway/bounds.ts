/**
 * Token bounds of one inference request, computed from its body before it is sent upstream.
 *
 * The money reservation needs a TRUE upper bound of the prompt, so that no settlement can exceed it;
 * the TPM window only needs an estimate. Both are computed without a tokenizer (a 16 KB prompt costs
 * gpt-tokenizer about 1 ms, too much for the hot path): every byte-level BPE token stands for at least
 * one byte of UTF-8 text, so a text's byte length bounds its token count, whatever the vocabulary.
 * The allowances below cover what a chat template adds around the text; the model's context is the
 * bound of last resort, since no upstream accepts a prompt longer than its context.
 */
import { Buffer } from 'node:buffer';

/** What bounds a request on a model (fields of the catalog model). */
export interface ModelTokenLimits {
  contextTokens: number;
  maxCompletionTokens: number;
}

/** Tokens a chat template adds per message: role markers, separators, end of turn. */
export const MESSAGE_ALLOWANCE = 16;
/** Tokens a template adds once: beginning of text, the assistant's turn header. */
export const CONVERSATION_ALLOWANCE = 16;
/**
 * Tokens one image, audio, video or file part counts. A true bound depends on the model's encoder and
 * the media's size; 2048 covers common vision encoders at their default resolution, and the context
 * cap holds whatever the part is.
 */
export const MEDIA_PART_TOKENS = 2048;
/**
 * Structured values the template renders into the prompt (tools, tool calls, response formats) count
 * twice their compact JSON length: templates may pretty-print them, adding whitespace tokens.
 */
export const STRUCTURED_FACTOR = 2;
/** Venice prepends its own system prompt unless `venice_parameters.include_venice_system_prompt` is false. */
export const VENICE_SYSTEM_PROMPT_ALLOWANCE = 1024;
/** Beginning- and end-of-input tokens an embedding model adds to each input. */
export const EMBEDDING_INPUT_ALLOWANCE = 4;

/** The fields of a chat body the bounds read; the route has validated their types. */
export interface ChatBody {
  messages: readonly unknown[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  n?: number | null;
  tools?: unknown;
  functions?: unknown;
  tool_choice?: unknown;
  response_format?: unknown;
  venice_parameters?: unknown;
  [field: string]: unknown;
}

export interface EmbeddingBody {
  input: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  [field: string]: unknown;
}

export interface TokenBounds {
  /** True upper bound of the prompt tokens: what money is reserved for. */
  promptTokensUpper: number;
  /** Bound of the output tokens, `n` choices included. */
  outputTokensUpper: number;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const structured = (v: unknown) => (v === undefined || v === null ? 0 : STRUCTURED_FACTOR * utf8(JSON.stringify(v)));

function partTokens(part: unknown): number {
  if (typeof part === 'string') return utf8(part);
  if (!part || typeof part !== 'object') return 0;
  const p = part as { type?: unknown; text?: unknown; refusal?: unknown };
  if (typeof p.text === 'string' && (p.type === 'text' || p.type === undefined)) return utf8(p.text);
  if (p.type === 'refusal' && typeof p.refusal === 'string') return utf8(p.refusal);
  return MEDIA_PART_TOKENS;
}

function messageTokens(message: unknown): number {
  if (!message || typeof message !== 'object') return MESSAGE_ALLOWANCE;
  let n = MESSAGE_ALLOWANCE;
  for (const [field, value] of Object.entries(message)) {
    if (field === 'content' && Array.isArray(value)) for (const part of value) n += partTokens(part);
    else if (typeof value === 'string') n += utf8(value);
    else n += structured(value);
  }
  return n;
}

/** Whether Venice adds text of its own that the request does not contain (searches, characters). */
function veniceAddsContext(params: unknown): boolean {
  if (!params || typeof params !== 'object') return false;
  const p = params as Record<string, unknown>;
  const on = (v: unknown) => v !== undefined && v !== null && v !== false && v !== 'off';
  return on(p.enable_web_search) || on(p.enable_web_scraping) || on(p.enable_x_search) || on(p.character_slug);
}

export function chatPromptTokensUpper(body: ChatBody, limits: ModelTokenLimits): number {
  const params = body.venice_parameters as { include_venice_system_prompt?: unknown } | undefined;
  if (veniceAddsContext(params)) return limits.contextTokens;
  let n = CONVERSATION_ALLOWANCE;
  if (params?.include_venice_system_prompt !== false) n += VENICE_SYSTEM_PROMPT_ALLOWANCE;
  for (const message of body.messages) n += messageTokens(message);
  n += structured(body.tools) + structured(body.functions) + structured(body.tool_choice);
  n += structured(body.response_format);
  return Math.min(n, limits.contextTokens);
}

const positive = (v: number | null | undefined) => (typeof v === 'number' && v > 0 ? v : undefined);

/**
 * `max_completion_tokens` wins over `max_tokens`; a value ≤ 0 is ignored; neither means the model's
 * `maxCompletionTokens`, which is also the most one choice may reserve; `n` choices multiply it.
 */
export function outputTokensUpper(
  body: Pick<ChatBody, 'max_tokens' | 'max_completion_tokens' | 'n'>,
  limits: ModelTokenLimits,
): number {
  const requested = positive(body.max_completion_tokens) ?? positive(body.max_tokens) ?? limits.maxCompletionTokens;
  const choices = positive(body.n) ?? 1;
  return Math.min(Math.ceil(requested), limits.maxCompletionTokens) * choices;
}

export function chatBounds(body: ChatBody, limits: ModelTokenLimits): TokenBounds {
  return { promptTokensUpper: chatPromptTokensUpper(body, limits), outputTokensUpper: outputTokensUpper(body, limits) };
}

/** Each input is bounded by its bytes (a token array by its length) plus its allowance, and by the context. */
export function embeddingBounds(body: EmbeddingBody, limits: ModelTokenLimits): TokenBounds {
  const input = body.input;
  const inputs: readonly unknown[] = typeof input === 'string' || typeof input[0] === 'number' ? [input] : input;
  let n = 0;
  for (const one of inputs) {
    const tokens = typeof one === 'string' ? utf8(one) : (one as readonly number[]).length;
    n += Math.min(tokens + EMBEDDING_INPUT_ALLOWANCE, limits.contextTokens);
  }
  return { promptTokensUpper: n, outputTokensUpper: 0 };
}

/**
 * The TPM estimate: the upper bound scaled by what settled requests of the same model really used.
 * Learned per model and per instance (an exponentially weighted mean of prompt tokens / upper bound),
 * with a margin, never above the upper bound. Until a model has been seen, half the upper bound.
 */
export class PromptCalibration {
  static readonly INITIAL_RATIO = 0.5;
  static readonly MARGIN = 1.25;
  static readonly WEIGHT = 0.1;
  private readonly ratios = new Map<string, number>();

  estimate(modelId: string, upper: number): number {
    const ratio = this.ratios.get(modelId) ?? PromptCalibration.INITIAL_RATIO;
    return Math.min(upper, Math.ceil(upper * ratio * PromptCalibration.MARGIN));
  }

  /** A settled request's real prompt tokens. Bounds capped by the context teach nothing and are skipped. */
  observe(modelId: string, upper: number, promptTokens: number, limits: ModelTokenLimits): void {
    if (upper <= 0 || upper >= limits.contextTokens || promptTokens < 0) return;
    const seen = Math.min(1, promptTokens / upper);
    const before = this.ratios.get(modelId);
    const w = PromptCalibration.WEIGHT;
    this.ratios.set(modelId, before === undefined ? seen : before * (1 - w) + seen * w);
  }
}

type CountTokens = (text: string) => number;
let tokenizer: Promise<CountTokens> | undefined;

/** gpt-tokenizer, loaded on first use: only a request that ends without usage needs it. */
function countTokens(): Promise<CountTokens> {
  tokenizer ??= import('gpt-tokenizer').then(
    // Special-token text in a prompt is counted as the text it is, not refused.
    (t) => (text: string) => t.countTokens(text, { disallowedSpecial: new Set() }),
  );
  return tokenizer;
}

/** Per message, what the usual templates add (OpenAI's own rule of thumb: 4, plus 3 per conversation). */
const ESTIMATE_PER_MESSAGE = 4;
const ESTIMATE_PER_CONVERSATION = 3;

/**
 * For a request that ended without the upstream's usage (a client disconnect): the prompt counted by
 * gpt-tokenizer (media parts at their allowance), never above the upper bound that was reserved.
 * Off the hot path: called once, after the response is over.
 */
export async function estimateChatPromptTokens(body: ChatBody, upper: number): Promise<number> {
  const count = await countTokens();
  const texts: string[] = [];
  let n = ESTIMATE_PER_CONVERSATION;
  for (const message of body.messages) {
    n += ESTIMATE_PER_MESSAGE;
    const content = (message as { content?: unknown } | null)?.content;
    for (const part of Array.isArray(content) ? content : [content]) {
      if (typeof part === 'string') texts.push(part);
      else if (part && typeof part === 'object') {
        const p = part as { text?: unknown; refusal?: unknown };
        if (typeof p.text === 'string') texts.push(p.text);
        else if (typeof p.refusal === 'string') texts.push(p.refusal);
        else n += MEDIA_PART_TOKENS;
      }
    }
  }
  for (const v of [body.tools, body.functions, body.response_format]) if (v != null) texts.push(JSON.stringify(v));
  return Math.min(upper, n + count(texts.join('\n')));
}

/**
 * The output tokens of what was streamed before the end: the text counted by gpt-tokenizer, or the
 * number of content chunks when that is more (an upstream sends at least one token per chunk), never
 * above the output bound that was reserved.
 */
export async function estimateStreamedTokens(text: string, contentChunks: number, upper: number): Promise<number> {
  const count = await countTokens();
  return Math.min(upper, Math.max(count(text), contentChunks));
}
