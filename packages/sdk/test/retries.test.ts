import { describe, expect, it } from 'vitest';
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  type AttemptOutcome,
  ConflictError,
  InternalServerError,
  RateLimitError,
  retryDelay,
  VeniceClient,
} from '../src/index.js';
import { CREATED, client, fakeFetch, json, KEY } from './support.js';

const quick = { 'retry-after-ms': '1' };
const response = (status: number, headers: Record<string, string> = {}): AttemptOutcome => ({
  kind: 'response',
  status,
  headers: new Headers(headers),
});
const ctx = (kind: 'read' | 'update' | 'delete' | 'create' | 'mint', over = {}) => ({
  kind,
  attempt: 0,
  maxRetries: 2,
  idempotentCreates: true,
  ...over,
});

describe('the retry policy', () => {
  it('retries reads, updates and deletes on connection errors, timeouts, 408, 429 and 5xx', () => {
    for (const kind of ['read', 'update', 'delete'] as const) {
      for (const outcome of [
        { kind: 'connection' },
        { kind: 'timeout' },
        response(408),
        response(429),
        response(500),
        response(503),
      ] as AttemptOutcome[]) {
        expect(retryDelay(outcome, ctx(kind), () => 0)).toBe(500);
      }
      for (const status of [400, 401, 403, 404, 409, 422])
        expect(retryDelay(response(status), ctx(kind))).toBeUndefined();
    }
  });

  it('backs off exponentially with jitter, capped, and stops at maxRetries', () => {
    expect(retryDelay(response(500), ctx('read', { attempt: 1 }), () => 0)).toBe(1000);
    expect(retryDelay(response(500), ctx('read', { attempt: 1, maxRetries: 10 }), () => 1)).toBe(750);
    expect(retryDelay(response(500), ctx('read', { attempt: 9, maxRetries: 10 }), () => 0)).toBe(8000);
    expect(retryDelay(response(500), ctx('read', { attempt: 2 }))).toBeUndefined();
    expect(retryDelay(response(500), ctx('read', { maxRetries: 0 }))).toBeUndefined();
  });

  it('honours retry-after-ms and Retry-After (seconds or date) within a 60 s cap', () => {
    expect(retryDelay(response(429, { 'retry-after-ms': '1500' }), ctx('read'))).toBe(1500);
    expect(retryDelay(response(429, { 'retry-after': '3' }), ctx('read'))).toBe(3000);
    const date = new Date(Date.now() + 10_000).toUTCString();
    const fromDate = retryDelay(response(503, { 'retry-after': date }), ctx('read')) as number;
    expect(fromDate).toBeGreaterThan(8_000);
    expect(fromDate).toBeLessThanOrEqual(10_000);
    expect(retryDelay(response(429, { 'retry-after': '61' }), ctx('read'))).toBeUndefined();
  });

  it('follows x-should-retry', () => {
    expect(retryDelay(response(400, { 'x-should-retry': 'true' }), ctx('read'), () => 0)).toBe(500);
    expect(retryDelay(response(503, { 'x-should-retry': 'false' }), ctx('read'))).toBeUndefined();
  });

  it('never risks a second key: creates retry everything only where idempotency is honoured, mints only 429', () => {
    expect(retryDelay(response(503), ctx('create'), () => 0)).toBe(500);
    expect(retryDelay({ kind: 'timeout' }, ctx('create'), () => 0)).toBe(500);
    const venice = ctx('create', { idempotentCreates: false });
    expect(retryDelay(response(503), venice)).toBeUndefined();
    expect(retryDelay({ kind: 'connection' }, venice)).toBeUndefined();
    expect(retryDelay(response(429), venice, () => 0)).toBe(500);
    expect(retryDelay(response(503), ctx('mint'))).toBeUndefined();
    expect(retryDelay({ kind: 'timeout' }, ctx('mint'))).toBeUndefined();
    expect(retryDelay(response(429), ctx('mint'), () => 0)).toBe(500);
  });
});

describe('retries in the client', () => {
  it('retries a read and succeeds', async () => {
    const g = fakeFetch(
      json(503, { error: 'busy' }, quick),
      json(429, { error: 'slow' }, quick),
      json(200, { data: KEY }),
    );
    expect(await client(g.fetch).apiKeys.retrieve(KEY.id)).toEqual(KEY);
    expect(g.requests).toHaveLength(3);
  });

  it('retries after a connection error with backoff', async () => {
    const f = fakeFetch(new TypeError('fetch failed'), json(200, { data: KEY }));
    expect(await client(f.fetch).apiKeys.retrieve(KEY.id)).toEqual(KEY);
    expect(f.requests).toHaveLength(2);
  });

  it('gives up after maxRetries with the last error', async () => {
    const f = fakeFetch(json(500, { error: 'down' }, quick));
    const e = await client(f.fetch, { maxRetries: 3 })
      .apiKeys.list()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InternalServerError);
    expect(f.requests).toHaveLength(4);
    const once = fakeFetch(json(500, { error: 'down' }, quick));
    await client(once.fetch)
      .apiKeys.list({}, { maxRetries: 0 })
      .catch(() => undefined);
    expect(once.requests).toHaveLength(1);
  });

  it('reuses one Idempotency-Key on every attempt of a create', async () => {
    const f = fakeFetch(
      json(502, { error: 'bad gateway' }, quick),
      json(500, {}, quick),
      json(200, { success: true, data: CREATED }),
    );
    expect(await client(f.fetch).apiKeys.create({ apiKeyType: 'INFERENCE', description: 'd' })).toEqual(CREATED);
    const keys = new Set(f.requests.map((r) => r.headers['idempotency-key']));
    expect(f.requests).toHaveLength(3);
    expect(keys.size).toBe(1);
  });

  it('against api.venice.ai retries a create only after a 429', async () => {
    const f = fakeFetch(json(500, { error: 'x' }, quick));
    const venice = new VeniceClient({ apiKey: 'k', fetch: f.fetch });
    expect(venice.baseURL).toBe('https://api.venice.ai/api/v1');
    await expect(venice.apiKeys.create({ apiKeyType: 'INFERENCE', description: 'd' })).rejects.toBeInstanceOf(
      InternalServerError,
    );
    expect(f.requests).toHaveLength(1);
    const g = fakeFetch(json(429, { error: 'x' }, quick), json(200, { success: true, data: CREATED }));
    await new VeniceClient({ apiKey: 'k', fetch: g.fetch }).apiKeys.create({
      apiKeyType: 'INFERENCE',
      description: 'd',
    });
    expect(g.requests).toHaveLength(2);
  });

  it('does not retry a conflict', async () => {
    const f = fakeFetch(json(409, { error: 'Idempotency-Key was already used with a different request' }));
    await expect(client(f.fetch).apiKeys.create({ apiKeyType: 'INFERENCE', description: 'd' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(f.requests).toHaveLength(1);
  });

  it('surfaces a connection error after retries', async () => {
    const f = fakeFetch(new TypeError('fetch failed'));
    const e = await client(f.fetch, { maxRetries: 0 })
      .apiKeys.list()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APIConnectionError);
    expect((e as Error).cause).toBeInstanceOf(TypeError);
  });

  it('times out an attempt with APITimeoutError', async () => {
    const hang = (_req: unknown, signal: AbortSignal | undefined) =>
      new Promise<Response>((_, reject) =>
        signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    const f = fakeFetch(hang);
    const e = await client(f.fetch, { timeout: 20, maxRetries: 0 })
      .apiKeys.list()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APITimeoutError);
    expect(e).toBeInstanceOf(APIConnectionError);
    const g = fakeFetch(hang);
    await client(g.fetch)
      .apiKeys.list({}, { timeout: 10, maxRetries: 1 })
      .catch(() => undefined);
    expect(g.requests).toHaveLength(2);
  });

  it('turns a caller abort during a request into APIUserAbortError, never retried', async () => {
    const hang = (_req: unknown, signal: AbortSignal | undefined) =>
      new Promise<Response>((_, reject) =>
        signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    const f = fakeFetch(hang);
    const controller = new AbortController();
    const pending = client(f.fetch)
      .apiKeys.list({}, { signal: controller.signal })
      .catch((x: unknown) => x);
    setTimeout(() => controller.abort(), 5);
    expect(await pending).toBeInstanceOf(APIUserAbortError);
    expect(f.requests).toHaveLength(1);
  });

  it('cuts a backoff sleep short on abort', async () => {
    const f = fakeFetch(json(503, { error: 'busy' }, { 'retry-after': '30' }));
    const controller = new AbortController();
    const pending = client(f.fetch)
      .apiKeys.list({}, { signal: controller.signal })
      .catch((x: unknown) => x);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBeInstanceOf(APIUserAbortError);
    expect(f.requests).toHaveLength(1);
  });

  it('refuses to start with an already-aborted signal', async () => {
    const f = fakeFetch(json(200, { data: [] }));
    await expect(client(f.fetch).apiKeys.list({}, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      APIUserAbortError,
    );
    expect(f.requests).toHaveLength(0);
  });

  it('exposes the last 429 as RateLimitError when the wait asked is beyond the cap', async () => {
    const f = fakeFetch(json(429, { error: 'later' }, { 'retry-after': '3600' }));
    const e = (await client(f.fetch)
      .apiKeys.list()
      .catch((x: unknown) => x)) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.retryAfterMs).toBe(3_600_000);
    expect(f.requests).toHaveLength(1);
  });
});
