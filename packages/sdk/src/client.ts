import { APIPromise } from './core/api-promise.js';
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  type VeniceError,
  VeniceValidationError,
} from './core/errors.js';
import { readErrorBody, readJsonBody } from './internal/body.js';
import { isBrowser, readEnv } from './internal/env.js';
import { type Logger, type LogLevel, leveledLogger } from './internal/log.js';
import { checkIdempotencyKey, checkOptions, lowerKeys, normaliseBaseURL } from './internal/options.js';
import { type AttemptOutcome, type RequestSpec, retryDelay } from './internal/retry.js';
import { sleep } from './internal/sleep.js';
import { randomUUID } from './internal/uuid.js';
import { ApiKeys } from './resources/api-keys.js';
import { Billing } from './resources/billing.js';
import { VERSION } from './version.js';

export type { Logger, LogLevel } from './internal/log.js';

export const DEFAULT_BASE_URL = 'https://api.venice.ai/api/v1';

export interface ClientOptions {
  /**
   * The Bearer key. Defaults to `VENICE_API_KEY`; `null` sends no key even when the variable is set
   * (minting a web3 key needs none).
   */
  apiKey?: string | null | undefined;
  /** Defaults to `VENICE_BASE_URL`, else api.venice.ai. A bare origin gets `/api/v1` appended. */
  baseURL?: string | undefined;
  /** Per attempt, in milliseconds. Default 60 000; `Infinity` for none. */
  timeout?: number;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** A fetch implementation (tests, proxies, older runtimes). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Sent with every request; per-request `headers` win over them. */
  defaultHeaders?: Record<string, string>;
  /** Receives request, response and retry events; never an Authorization header or a secret. Default `console`. */
  logger?: Logger;
  /** Default `VENICE_LOG`, else `warn` (the SDK logs nothing at `warn`, so it is silent unless asked). */
  logLevel?: LogLevel;
  /** Whether the server replays `POST /api_keys` by Idempotency-Key. Default: every host but api.venice.ai. */
  idempotentCreates?: boolean;
  /** Allows a key that may be an ADMIN key in a browser, where anyone who can open the page can read it. */
  dangerouslyAllowBrowser?: boolean;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's `timeout` for this call. */
  timeout?: number;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** Extra headers for this call; they win over `defaultHeaders` and the SDK's own. */
  headers?: Record<string, string>;
  /** For `create`: sent as `Idempotency-Key` (a random UUID when omitted) and reused on every retry. */
  idempotencyKey?: string;
}

// setTimeout fires at once for delays beyond a signed 32-bit int; such a timeout means "none".
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A client for Venice's API-key endpoints, against api.venice.ai or any compatible server.
 *
 * @example
 * const venice = new VeniceClient({ apiKey: process.env.VENICE_API_KEY, baseURL: 'http://127.0.0.1:8787' });
 * const keys = await venice.apiKeys.list();
 */
export class VeniceClient {
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly apiKeys: ApiKeys;
  readonly billing: Billing;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #defaultHeaders: Record<string, string>;
  readonly #log: ReturnType<typeof leveledLogger>;
  readonly #idempotentCreates: boolean;

  constructor(options: ClientOptions = {}) {
    checkOptions(options);
    this.#apiKey =
      options.apiKey === null ? undefined : options.apiKey?.trim() || readEnv('VENICE_API_KEY') || undefined;
    this.baseURL = normaliseBaseURL(options.baseURL ?? readEnv('VENICE_BASE_URL') ?? DEFAULT_BASE_URL);
    this.timeout = options.timeout ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    if (!options.fetch && typeof globalThis.fetch !== 'function') {
      throw new VeniceValidationError('No global fetch in this runtime: pass `fetch` in the client options.', 'fetch');
    }
    // Looked up at call time and never called as a method of the client: browsers reject a fetch
    // invoked with a foreign `this` ("Illegal invocation").
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#defaultHeaders = lowerKeys(options.defaultHeaders ?? {});
    this.#log = leveledLogger(
      options.logger ?? (globalThis.console as Logger),
      options.logLevel ?? (readEnv('VENICE_LOG')?.toLowerCase() as LogLevel | undefined),
    );
    this.#idempotentCreates = options.idempotentCreates ?? new URL(this.baseURL).hostname !== 'api.venice.ai';
    if (isBrowser() && this.#apiKey && !this.#apiKey.startsWith('VENICE_INFERENCE_KEY_')) {
      if (!options.dangerouslyAllowBrowser) {
        throw new VeniceValidationError(
          'Refusing to use an API key that may be an ADMIN key in a browser, where anyone who opens the page can ' +
            'read it. Call the API from a server, or pass `dangerouslyAllowBrowser: true` if you really mean to.',
          'dangerouslyAllowBrowser',
        );
      }
    }
    this.apiKeys = new ApiKeys(this);
    this.billing = new Billing(this);
  }

  /** Whether a key is configured (the key itself stays private so that logging the client cannot leak it). */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /**
   * Sends a request under the retry policy; resources use it, and it serves endpoints the SDK has
   * no method for. `build` runs first: if it throws (local validation), the promise rejects and
   * nothing is sent. `transform` shapes the parsed body (the text, for a non-JSON `accept`).
   *
   * @example
   * const body = await venice.request(() => ({ method: 'GET', path: '/api_keys', kind: 'read' }));
   */
  request<T = unknown>(
    build: () => RequestSpec,
    options: RequestOptions = {},
    transform: (body: unknown, response: Response) => T = (b) => b as T,
  ): APIPromise<T> {
    let response: Promise<Response>;
    let spec: RequestSpec | undefined;
    try {
      spec = build();
      checkOptions(options);
      checkIdempotencyKey(options.idempotencyKey);
      response = this.#send(spec, options);
    } catch (e) {
      response = Promise.reject(e);
    }
    return new APIPromise(response, async (r) => {
      const body = spec?.accept === 'text/csv' ? await r.text() : await readJsonBody(r);
      this.#log('debug', 'response body', { url: r.url || spec?.path, body });
      return transform(body, r);
    });
  }

  #url(spec: RequestSpec): string {
    const url = new URL(this.baseURL + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async #send(spec: RequestSpec, options: RequestOptions): Promise<Response> {
    const url = this.#url(spec);
    const headers: Record<string, string> = {
      accept: spec.accept ?? 'application/json',
      'x-venice-sdk': `venice-keys-ts/${VERSION}`,
      ...(this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {}),
      ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
      // Generated once, outside the attempt loop: every retry must carry the same key.
      ...(spec.kind === 'create' ? { 'idempotency-key': options.idempotencyKey ?? randomUUID() } : {}),
      ...this.#defaultHeaders,
      ...lowerKeys(options.headers ?? {}),
    };
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeout = options.timeout ?? this.timeout;
    const fetchImpl = this.#fetch;
    const { signal } = options;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new APIUserAbortError();
      this.#log('debug', 'request', { method: spec.method, url, attempt, headers, body: spec.body });
      const controller = new AbortController();
      let timedOut = false;
      const timer =
        timeout < MAX_TIMER_MS
          ? setTimeout(() => {
              timedOut = true;
              controller.abort();
            }, timeout)
          : undefined;
      const onAbort = () => controller.abort();
      signal?.addEventListener('abort', onAbort, { once: true });

      let outcome: AttemptOutcome;
      let failure: VeniceError;
      try {
        const response = await fetchImpl(url, { method: spec.method, headers, body, signal: controller.signal });
        const requestID = response.headers.get('x-request-id');
        this.#log('debug', 'response', { method: spec.method, url, status: response.status, requestID });
        if (response.ok) return response;
        // Read inside the attempt, so that the timeout and an abort also cover a slow error body.
        const errorBody = await readErrorBody(response, controller.signal);
        failure = APIError.generate(response.status, errorBody, response.headers);
        outcome = { kind: 'response', status: response.status, headers: response.headers };
      } catch (e) {
        if (signal?.aborted) throw new APIUserAbortError({ cause: e });
        if (timedOut) {
          failure = new APITimeoutError({ cause: e });
          outcome = { kind: 'timeout' };
        } else {
          failure = new APIConnectionError({ cause: e });
          outcome = { kind: 'connection' };
        }
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }

      const delay = retryDelay(outcome, {
        kind: spec.kind,
        attempt,
        maxRetries,
        idempotentCreates: this.#idempotentCreates,
      });
      if (delay === undefined) {
        // The caller gets the error itself; the log only adds context.
        this.#log('debug', 'request failed', { method: spec.method, url, attempt, error: failure.message });
        throw failure;
      }
      this.#log('info', 'retrying', {
        method: spec.method,
        url,
        attempt,
        delayMs: Math.round(delay),
        error: failure.message,
      });
      await sleep(delay, signal);
    }
  }
}
