import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sums } from '../gateway-engine/engine.js';
import { bearer } from '../support/app.js';
import { sqliteFactory } from '../support/stores.js';
import { CATALOG, type Gateway, post, startGateway } from './harness.js';

describe('POST /embeddings', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway(sqliteFactory);
  });
  afterAll(() => g?.close());

  it('relays embeddings (base64 untouched) and charges the reported prompt tokens', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId);
    const res = await post(g.app, '/embeddings', secret, {
      model: 'embed',
      input: ['abcd', 'efghijkl'],
      encoding_format: 'base64',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.data).toHaveLength(2);
    expect(typeof body.data[0].embedding).toBe('string');
    // ceil(4 / 4) + ceil(8 / 4) tokens at 1 micro-USD each
    expect(body.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(body.cost).toEqual({ usd: 3 / 1e6, diem: 0 });
    expect(res.headers['x-venice-balance-usd']).toBe('1.0000');
    await g.gateway.flush();
    expect((await sums(g.db, accountId)).ledgerUsd).toBe(3n);
  });

  it.each([
    [{ model: 'embed' }, ['input']],
    [{ model: 'embed', input: [] }, ['input']],
    [{ model: 'embed', input: 5 }, ['input']],
  ])('validates %j', async (payload, path) => {
    const secret = await g.key((await g.account(1)).accountId);
    const res = await post(g.app, '/embeddings', secret, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].path).toEqual(path);
  });

  it('refuses a chat model, an unknown model, and an anonymous one under PRIVATE_TEXT', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId, { modelPrivacy: 'PRIVATE_TEXT' });
    const chat = await post(g.app, '/embeddings', secret, { model: 'chat', input: 'x' });
    expect(chat.statusCode).toBe(400);
    expect(chat.json()).toEqual({ error: 'Model chat cannot be used for embeddings' });
    const unknown = await post(g.app, '/embeddings', secret, { model: 'nope', input: 'x' });
    expect(unknown.json()).toEqual({ error: 'Specified model not found: nope' });
    const anon = await post(g.app, '/embeddings', secret, { model: 'anon-embed', input: 'x' });
    expect(anon.statusCode).toBe(403);
    expect(anon.json().code).toBe('MODEL_PRIVACY_RESTRICTED');
  });
});

describe('GET /models', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway(sqliteFactory);
  });
  afterAll(() => g?.close());

  const list = async (query = '', headers: Record<string, string> = {}) => {
    const res = await g.app.inject({ method: 'GET', url: `/api/v1/models${query}`, headers });
    expect(res.statusCode).toBe(200);
    return res.json() as { object: string; type: string; data: { id: string; [k: string]: unknown }[] };
  };

  it('lists the text models of the catalog by default, in Venice’s ModelResponse shape', async () => {
    const body = await list();
    expect(body.object).toBe('list');
    expect(body.type).toBe('text');
    expect(body.data.map((m) => m.id)).toEqual(CATALOG.filter((m) => m.type === 'text').map((m) => m.id));
    const chat = body.data[0];
    expect(chat).toMatchObject({
      id: 'chat',
      object: 'model',
      owned_by: 'venice.ai',
      type: 'text',
      context_length: 32_768,
      model_spec: {
        privacy: 'private',
        availableContextTokens: 32_768,
        maxCompletionTokens: 4096,
        pricing: { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } },
        capabilities: { supportsTeeAttestation: false, supportsE2EE: false, quantization: 'not-available' },
      },
    });
    expect(body.data.find((m) => m.id === 'anon')?.model_spec).toMatchObject({ privacy: 'anonymized' });
    expect(body.data.find((m) => m.id === 'tee')?.model_spec).toMatchObject({
      capabilities: { supportsTeeAttestation: true },
    });
  });

  it('filters by ?type= (all, embedding, image), and refuses an unknown type', async () => {
    expect((await list('?type=all')).data).toHaveLength(CATALOG.length);
    expect((await list('?type=embedding')).data.map((m) => m.id)).toEqual(['embed', 'anon-embed']);
    expect((await list('?type=image')).data.map((m) => m.id)).toEqual(['image']);
    expect((await list('?type=code')).data).toEqual([]);
    const bad = await g.app.inject({ method: 'GET', url: '/api/v1/models?type=bogus' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'Invalid request parameters', issues: [{ path: ['type'] }] });
  });

  it('lists with a key only what the key may use; a key that does not authenticate counts as none', async () => {
    const { accountId } = await g.account(1);
    const privateOnly = await g.key(accountId, { modelPrivacy: 'PRIVATE_ONLY' });
    const privateText = await g.key(accountId, { modelPrivacy: 'PRIVATE_TEXT' });
    const ids = async (secret: string, type: string) =>
      (await list(`?type=${type}`, bearer(secret))).data.map((m) => m.id);
    expect(await ids(privateOnly, 'all')).not.toContain('anon');
    expect(await ids(privateOnly, 'all')).not.toContain('anon-embed');
    expect(await ids(privateText, 'embedding')).toEqual(['embed']);
    expect(await ids(await g.key(accountId), 'all')).toHaveLength(CATALOG.length);
    expect(await ids('VENICE_INFERENCE_KEY_unknown', 'all')).toHaveLength(CATALOG.length);
  });
});

describe('upstream failures', () => {
  it('answers 503 naming the variable when no upstream key is configured, before reserving anything', async () => {
    const g = await startGateway(sqliteFactory, { noUpstreamKey: true });
    try {
      const { accountId } = await g.account(1);
      const res = await post(g.app, '/chat/completions', await g.key(accountId), {
        model: 'chat',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toBe(
        "Inference is not configured on this server: set VENICE_UPSTREAM_API_KEY to the upstream's API key.",
      );
      expect((await g.upstream.stats()).requests).toBe(0);
    } finally {
      await g.close();
    }
  });

  it('answers 502 when the upstream cannot be reached, 504 when it is too slow, and charges nothing', async () => {
    const g = await startGateway(sqliteFactory, { config: { upstream: { timeoutMs: 300 } } });
    const dead = await startGateway(sqliteFactory, { config: { upstream: { url: 'http://127.0.0.1:9/v1' } } });
    try {
      const { accountId } = await g.account(1);
      const secret = await g.key(accountId);
      const body = { model: 'chat', messages: [{ role: 'user', content: 'x' }] };
      const slow = await post(g.app, '/chat/completions', secret, { ...body, mock: 'delay=5000' });
      expect(slow.statusCode).toBe(504);
      expect(slow.json()).toEqual({ error: 'Upstream request timed out' });
      expect(slow.headers['x-venice-balance-usd']).toBe('1.0000');
      await g.upstream.waitFor((s) => s.aborted === 1 && s.inFlight === 0);

      const deadAccount = await dead.account(1);
      const refused = await post(dead.app, '/chat/completions', await dead.key(deadAccount.accountId), body);
      expect(refused.statusCode).toBe(502);
      expect(refused.json()).toEqual({ error: 'Upstream request failed' });
      await g.gateway.flush();
      await dead.gateway.flush();
      expect(await sums(g.db, accountId)).toMatchObject({ ledgerUsd: 0n, balance: 1_000_000n });
      expect(await sums(dead.db, deadAccount.accountId)).toMatchObject({ ledgerUsd: 0n, balance: 1_000_000n });
    } finally {
      await g.close();
      await dead.close();
    }
  });
});

describe('limits on the inference routes', () => {
  it('429s past the model’s RPM with Retry-After and the rate-limit headers', async () => {
    const g = await startGateway(sqliteFactory, {
      config: { models: [{ ...(CATALOG[0] as (typeof CATALOG)[number]), rateLimits: { paid: { RPM: 2 } } }] },
    });
    try {
      const secret = await g.key((await g.account(1)).accountId);
      const body = { model: 'chat', messages: [{ role: 'user', content: 'x' }] };
      for (let i = 0; i < 2; i++) expect((await post(g.app, '/chat/completions', secret, body)).statusCode).toBe(200);
      const res = await post(g.app, '/chat/completions', secret, body);
      expect(res.statusCode).toBe(429);
      expect(res.json()).toEqual({ error: 'Rate limit exceeded' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers['x-ratelimit-limit-requests']).toBe('2');
      expect(res.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(res.headers['x-venice-balance-usd']).toBeDefined();
    } finally {
      await g.close();
    }
  });

  it('blocks a key after more than 50 4xx answers in 30 s, with the error-budget headers', async () => {
    const g = await startGateway(sqliteFactory);
    try {
      const secret = await g.key((await g.account(1)).accountId);
      for (let i = 0; i < 51; i++) {
        expect(
          (
            await post(g.app, '/chat/completions', secret, {
              model: 'nope',
              messages: [{ role: 'user', content: 'x' }],
            })
          ).statusCode,
        ).toBe(404);
      }
      const res = await post(g.app, '/chat/completions', secret, {
        model: 'chat',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(res.statusCode).toBe(429);
      expect(res.json()).toEqual({
        error:
          'Too many failed attempts (> 50) resulting in a non-success status code. Please wait 30 seconds and try again.',
      });
      expect(res.headers['x-ratelimit-remaining']).toBe('0');
      expect(Number(res.headers['x-ratelimit-resets'])).toBe(g.clock.now() + 30_000);
      g.clock.advance(30_001);
      const later = await post(g.app, '/chat/completions', secret, {
        model: 'chat',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(later.statusCode).toBe(200);
    } finally {
      await g.close();
    }
  });
});
