import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  ConflictError,
  InternalServerError,
  RateLimitError,
  VeniceClient,
} from '../src/index.js';
import { type AttemptOutcome, retryDelay } from '../src/internal/retry.js';
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
        expect(retryDelay(outcome, ctx(kind), () => 0.5)).toBe(500);
      }
      for (const status of [400, 401, 403, 404, 409, 422])
        expect(retryDelay(response(status), ctx(kind))).toBeUndefined();
    }
  });

  it('backs off exponentially with ±25 % jitter, capped at 8 s, and stops at maxRetries', () => {
    const at = (attempt: number, random: number) =>
      retryDelay(response(500), ctx('read', { attempt, maxRetries: 10 }), () => random);
    expect([at(0, 0.5), at(1, 0.5), at(2, 0.5), at(3, 0.5), at(4, 0.5), at(9, 0.5)]).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect([at(1, 0), at(1, 1)]).toEqual([750, 1250]);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(response(500), ctx('read', { attempt: 1 })) as number;
      expect(d).toBeGreaterThanOrEqual(750);
      expect(d).toBeLessThanOrEqual(1250);
    }
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
    expect(retryDelay(response(400, { 'x-should-retry': 'true' }), ctx('read'), () => 0.5)).toBe(500);
    expect(retryDelay(response(503, { 'x-should-retry': 'true' }), ctx('mint'))).toBeUndefined();
    expect(retryDelay(response(503, { 'x-should-retry': 'false' }), ctx('read'))).toBeUndefined();
  });

  it('never risks a second key: creates retry everything only where idempotency is honoured, mints only 429', () => {
    expect(retryDelay(response(503), ctx('create'), () => 0.5)).toBe(500);
    expect(retryDelay({ kind: 'timeout' }, ctx('create'), () => 0.5)).toBe(500);
    expect(retryDelay({ kind: 'connection' }, ctx('create'), () => 0.5)).toBe(500);
    const venice = ctx('create', { idempotentCreates: false });
    expect(retryDelay(response(503), venice)).toBeUndefined();
    expect(retryDelay({ kind: 'connection' }, venice)).toBeUndefined();
    expect(retryDelay(response(429), venice, () => 0.5)).toBe(500);
    expect(retryDelay(response(408), venice)).toBeUndefined();
    expect(retryDelay(response(503), ctx('mint'))).toBeUndefined();
    expect(retryDelay({ kind: 'timeout' }, ctx('mint'))).toBeUndefined();
    expect(retryDelay(response(429), ctx('mint'), () => 0.5)).toBe(500);
    expect(retryDelay({ kind: 'connection' }, ctx('mint'))).toBeUndefined();
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

describe('waits in the client (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Starts a read against replies, and reports how many requests were sent after each fake-clock step. */
  const timeline = async (first: Response, steps: number[]) => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.000Z') });
    const f = fakeFetch(first, json(200, { data: KEY }));
    const pending = client(f.fetch).apiKeys.retrieve(KEY.id);
    const counts: number[] = [];
    for (const ms of steps) {
      await vi.advanceTimersByTimeAsync(ms);
      counts.push(f.requests.length);
    }
    expect(await pending).toEqual(KEY);
    return counts;
  };

  it('waits exactly Retry-After seconds', async () => {
    expect(await timeline(json(429, { error: 'slow' }, { 'retry-after': '3' }), [0, 2_999, 1])).toEqual([1, 1, 2]);
  });

  it('waits until a Retry-After HTTP date', async () => {
    const date = new Date('2026-01-01T00:00:10.000Z').toUTCString();
    expect(await timeline(json(503, { error: 'busy' }, { 'retry-after': date }), [0, 9_999, 1])).toEqual([1, 1, 2]);
  });

  it('prefers retry-after-ms to Retry-After', async () => {
    const headers = { 'retry-after-ms': '250', 'retry-after': '30' };
    expect(await timeline(json(503, { error: 'busy' }, headers), [0, 249, 1])).toEqual([1, 1, 2]);
  });

  it('waits the backoff when the server says nothing', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(await timeline(json(502, { error: 'gateway' }), [0, 499, 1])).toEqual([1, 1, 2]);
    vi.restoreAllMocks();
  });

  it('follows x-should-retry in both directions', async () => {
    const stop = fakeFetch(json(503, { error: 'down for good' }, { 'x-should-retry': 'false' }));
    await expect(client(stop.fetch).apiKeys.list()).rejects.toBeInstanceOf(InternalServerError);
    expect(stop.requests).toHaveLength(1);
    const go = fakeFetch(
      json(400, { error: 'try again' }, { 'x-should-retry': 'true', ...quick }),
      json(200, { data: [] }),
    );
    expect(await client(go.fetch).apiKeys.list()).toEqual([]);
    expect(go.requests).toHaveLength(2);
  });
});

describe('what each method retries', () => {
  it('retries update and delete like reads', async () => {
    const f = fakeFetch(
      json(503, { error: 'busy' }, quick),
      json(200, { success: true, data: KEY }),
      json(500, { error: 'busy' }, quick),
      json(200, { success: true }),
    );
    const c = client(f.fetch);
    expect(await c.apiKeys.update({ id: KEY.id, description: 'again' })).toEqual(KEY);
    expect(await c.apiKeys.delete(KEY.id)).toEqual({ success: true });
    expect(f.requests.map((r) => r.method)).toEqual(['PATCH', 'PATCH', 'DELETE', 'DELETE']);
  });

  it('never retries a web3 mint after an ambiguous failure, but does after a 429', async () => {
    const params = { address: `0x${'a'.repeat(40)}`, signature: '0x1', token: 't', apiKeyType: 'INFERENCE' } as const;
    const f = fakeFetch(json(500, { error: 'x' }, quick));
    await expect(client(f.fetch).apiKeys.createWeb3Key(params)).rejects.toBeInstanceOf(InternalServerError);
    expect(f.requests).toHaveLength(1);
    const g = fakeFetch(new TypeError('socket hang up'));
    await expect(client(g.fetch).apiKeys.createWeb3Key(params)).rejects.toBeInstanceOf(APIConnectionError);
    expect(g.requests).toHaveLength(1);
    const h = fakeFetch(json(429, { error: 'slow' }, quick), json(200, { success: true, data: CREATED }));
    expect(await client(h.fetch).apiKeys.createWeb3Key(params)).toEqual(CREATED);
    expect(h.requests).toHaveLength(2);
  });

  it('lets idempotentCreates: false treat any server like api.venice.ai', async () => {
    const f = fakeFetch(json(503, { error: 'x' }, quick));
    await expect(
      client(f.fetch, { idempotentCreates: false }).apiKeys.create({ apiKeyType: 'INFERENCE', description: 'd' }),
    ).rejects.toBeInstanceOf(InternalServerError);
    expect(f.requests).toHaveLength(1);
  });
});
