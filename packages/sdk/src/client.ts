import { APIPromise } from './core/api-promise.js';
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  retryAfterMs,
  VeniceError,
} from './core/errors.js';
import { ApiKeys } from './resources/api-keys.js';
import { Billing } from './resources/billing.js';
import { VERSION } from './version.js';

export const DEFAULT_BASE_URL = 'https://api.venice.ai/api/v1';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface ClientOptions {
  /** Defaults to `VENICE_API_KEY`. Optional: minting a web3 key needs no key. */
  apiKey?: string | undefined;
  /** Defaults to `VENICE_BASE_URL`, else api.venice.ai. A bare origin gets `/api/v1` appended. */
  baseURL?: string | undefined;
  /** Per attempt, in milliseconds. Default 60 000. */
  timeout?: number;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** A fetch implementation (tests, proxies, older runtimes). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  defaultHeaders?: Record<string, string>;
  /** Receives request/response/retry events; never the Authorization header or a created secret. */
  logger?: Logger;
  /** Default `VENICE_LOG`, else `warn`. */
  logLevel?: LogLevel;
  /** Whether the server replays `POST /api_keys` by Idempotency-Key. Default: every server but api.venice.ai. */
  idempotentCreates?: boolean;
  /** Allows an ADMIN key in a browser, where anyone who can open the page can read it. */
  dangerouslyAllowBrowser?: boolean;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeout?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
  /** For creates: sent as `Idempotency-Key` (generated when omitted) and reused on every retry. */
  idempotencyKey?: string;
}

/**
 * What a request does to the server, which decides whether it may be repeated:
 * `read` and `delete` and `update` are safe to repeat; a `create` only with an honoured
 * Idempotency-Key; a `mint` spends a single-use token, so only a 429 (nothing happened) is retried.
 */
export type RequestKind = 'read' | 'update' | 'delete' | 'create' | 'mint';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  kind: RequestKind;
}

/** The outcome of one attempt, as the retry policy sees it. */
export type AttemptOutcome =
  | { kind: 'connection' | 'timeout' }
  | { kind: 'response'; status: number; headers: Headers };

const RETRY_AFTER_CAP_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8_000;

/**
 * The whole retry policy: whether attempt number `attempt` (0-based) may be followed by another,
 * and after how long. Returns undefined for "do not retry".
 */
export function retryDelay(
  outcome: AttemptOutcome,
  context: { kind: RequestKind; attempt: number; maxRetries: number; idempotentCreates: boolean },
  random: () => number = Math.random,
): number | undefined {
  if (context.attempt >= context.maxRetries) return undefined;
  let retryable: boolean;
  let askedMs: number | undefined;
  if (outcome.kind === 'response') {
    const { status, headers } = outcome;
    const should = headers.get('x-should-retry');
    if (should === 'false') return undefined;
    const throttled = status === 429;
    retryable = should === 'true' || throttled || status === 408 || status >= 500;
    // Only a 429 proves the server did nothing; any other failure of a create or mint may have happened.
    if (context.kind === 'mint' || (context.kind === 'create' && !context.idempotentCreates)) retryable = throttled;
    askedMs = retryAfterMs(headers);
  } else {
    retryable = !(context.kind === 'mint' || (context.kind === 'create' && !context.idempotentCreates));
  }
  if (!retryable) return undefined;
  if (askedMs !== undefined) return askedMs <= RETRY_AFTER_CAP_MS ? askedMs : undefined;
  const backoff = Math.min(BACKOFF_BASE_MS * 2 ** context.attempt, BACKOFF_MAX_MS);
  return backoff * (1 - 0.25 * random());
}

function readEnv(name: string): string | undefined {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(n: string): string | undefined } };
  };
  try {
    return (g.process?.env?.[name] ?? g.Deno?.env?.get(name)) || undefined;
  } catch {
    return undefined; // Deno without --allow-env
  }
}

function normaliseBaseURL(raw: string): string {
  const url = new URL(raw);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v1';
  return url.toString().replace(/\/+$/, '');
}

const isBrowser = () =>
  typeof (globalThis as { window?: unknown }).window !== 'undefined' &&
  typeof (globalThis as { document?: unknown }).document !== 'undefined';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 99 };

/** Replaces secrets anywhere in a value about to be logged. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/VENICE_(?:INFERENCE|ADMIN)_KEY_[A-Za-z0-9]+/g, '[redacted]');
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        /^(authorization|apikey|signature|token|idempotency-key)$/i.test(k) ? '[redacted]' : redact(v),
      ]),
    );
  }
  return value;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A client for Venice's API-key endpoints, against api.venice.ai or any compatible server.
 *
 * @example
 * const venice = new VeniceClient({ apiKey: process.env.VENICE_API_KEY });
 * const keys = await venice.apiKeys.list();
 */
export class VeniceClient {
  readonly apiKey: string | undefined;
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly apiKeys: ApiKeys;
  readonly billing: Billing;
  private readonly fetchImpl: typeof fetch;
  private readonly defaultHeaders: Record<string, string>;
  private readonly logger: Logger | undefined;
  private readonly logLevel: number;
  private readonly idempotentCreates: boolean;

  constructor(options: ClientOptions = {}) {
    this.apiKey = (options.apiKey ?? readEnv('VENICE_API_KEY'))?.trim() || undefined;
    this.baseURL = normaliseBaseURL(options.baseURL ?? readEnv('VENICE_BASE_URL') ?? DEFAULT_BASE_URL);
    this.timeout = options.timeout ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new VeniceError('No fetch implementation: pass `fetch` in the client options.');
    this.fetchImpl = f;
    this.defaultHeaders = options.defaultHeaders ?? {};
    this.logger = options.logger;
    this.logLevel =
      LEVELS[options.logLevel ?? (readEnv('VENICE_LOG') as LogLevel | undefined) ?? 'warn'] ?? LEVELS.warn;
    this.idempotentCreates = options.idempotentCreates ?? new URL(this.baseURL).hostname !== 'api.venice.ai';
    if (isBrowser() && this.apiKey?.startsWith('VENICE_ADMIN_KEY_') && !options.dangerouslyAllowBrowser) {
      throw new VeniceError(
        'Refusing to use an ADMIN key in a browser, where anyone who opens the page can read it. ' +
          'Use it from a server, or pass `dangerouslyAllowBrowser: true` if you really mean to.',
      );
    }
    this.apiKeys = new ApiKeys(this);
    this.billing = new Billing(this);
  }

  private log(level: Exclude<LogLevel, 'off'>, message: string, data: Record<string, unknown>): void {
    if (this.logger && LEVELS[level] >= this.logLevel)
      this.logger[level](message, redact(data) as Record<string, unknown>);
  }

  /** Sends a request with the retry policy and returns the parsed JSON body (internal; used by resources). */
  request<T>(
    spec: RequestSpec,
    options: RequestOptions = {},
    transform: (body: unknown) => T = (b) => b as T,
  ): APIPromise<T> {
    const response = this.send(spec, options);
    return new APIPromise(response, async (r) => transform(await readBody(r)));
  }

  private buildURL(spec: RequestSpec): string {
    const url = new URL(this.baseURL + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  private async send(spec: RequestSpec, options: RequestOptions): Promise<Response> {
    const url = this.buildURL(spec);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-venice-sdk': `venice-keys-ts/${VERSION}`,
      ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(spec.kind === 'create' ? { 'idempotency-key': options.idempotencyKey ?? crypto.randomUUID() } : {}),
      ...lower(this.defaultHeaders),
      ...lower(options.headers ?? {}),
    };
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeout = options.timeout ?? this.timeout;

    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw new APIUserAbortError();
      this.log('debug', 'request', { method: spec.method, url, attempt, headers });
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeout);
      const onAbort = () => controller.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });

      let outcome: AttemptOutcome;
      let failure: VeniceError;
      try {
        const response = await this.fetchImpl(url, { method: spec.method, headers, body, signal: controller.signal });
        if (response.ok) {
          this.log('debug', 'response', {
            method: spec.method,
            url,
            status: response.status,
            requestID: response.headers.get('x-request-id'),
          });
          return response;
        }
        const errorBody = await readErrorBody(response);
        failure = APIError.generate(response.status, errorBody, response.headers);
        outcome = { kind: 'response', status: response.status, headers: response.headers };
      } catch (e) {
        if (options.signal?.aborted) throw new APIUserAbortError({ cause: e });
        if (timedOut) {
          failure = new APITimeoutError({ cause: e });
          outcome = { kind: 'timeout' };
        } else {
          failure = new APIConnectionError({ cause: e });
          outcome = { kind: 'connection' };
        }
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }

      const delay = retryDelay(outcome, {
        kind: spec.kind,
        attempt,
        maxRetries,
        idempotentCreates: this.idempotentCreates,
      });
      if (delay === undefined) {
        this.log(failure instanceof APIError && failure.status < 500 ? 'info' : 'warn', 'request failed', {
          method: spec.method,
          url,
          error: failure.message,
        });
        throw failure;
      }
      this.log('info', 'retrying', {
        method: spec.method,
        url,
        attempt,
        delayMs: Math.round(delay),
        error: failure.message,
      });
      await sleep(delay, options.signal);
    }
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VeniceError(`Expected a JSON response from ${response.url || 'the server'}, got: ${text.slice(0, 200)}`, {
      cause: e,
    });
  }
}

async function readErrorBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}
