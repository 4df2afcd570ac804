import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamHandle } from '../../../../tests/support/upstream/server.js';
import { spawnUpstream } from '../../../../tests/support/upstream/spawn.js';
import { sums } from '../gateway-engine/engine.js';
import { sqliteFactory } from '../support/stores.js';
import { chatBody, type Gateway, post, startGateway } from './harness.js';

const RATE_HEADERS = [
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];

/** "hello there" as the test upstream counts it: ceil(11 / 4) + 4 + 3 prompt tokens, 8 completion tokens. */
const PROMPT = 10;
const COMPLETION = 8;
/** Model `chat`: 1 micro-USD per prompt token, 2 per completion token. */
const COST = PROMPT + 2 * COMPLETION;

describe('POST /chat/completions', () => {
  let upstream: UpstreamHandle;
  let g: Gateway;
  beforeAll(async () => {
    upstream = await spawnUpstream();
    g = await startGateway(sqliteFactory, { upstream });
  });
  afterAll(async () => {
    await g?.close();
    await upstream?.close();
  });

  it("relays a completion with the upstream's key and model, and charges what the upstream reported", async () => {
    const { accountId } = await g.account(10);
    const secret = await g.key(accountId);
    const res = await post(g.app, '/chat/completions', secret, chatBody({ venice_parameters: { character_slug: '' } }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(body.choices[0].message.content).toBe(' hello'.repeat(COMPLETION));
    expect(body.usage).toEqual({
      prompt_tokens: PROMPT,
      completion_tokens: COMPLETION,
      total_tokens: PROMPT + COMPLETION,
    });
    expect(body.cost).toEqual({ usd: COST / 1e6, diem: 0 });
    for (const h of RATE_HEADERS) expect(res.headers[h], h).toMatch(/^\d+$/);
    expect(res.headers['x-venice-balance-usd']).toBe('10.0000');
    expect(res.headers['x-venice-balance-diem']).toBe('0.0000');
    expect(res.headers['x-request-id']).toBeTruthy();

    const seen = (await upstream.stats()).last;
    expect(seen?.path).toBe('/v1/chat/completions');
    expect(seen?.body).toEqual({ ...chatBody({ venice_parameters: { character_slug: '' } }), model: 'upstream-chat' });
    expect((await upstream.stats()).authFailures).toBe(0);

    await g.gateway.flush();
    const after = await sums(g.db, accountId);
    expect(after).toMatchObject({
      ledgerUsd: BigInt(COST),
      dailyUsd: BigInt(COST),
      balance: 10_000_000n - BigInt(COST),
    });
  });

  it('forwards the body byte for byte when nothing needs changing', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId);
    const raw = '{ "model" : "same", "messages": [{"role":"user","content":"é\\u00e9"}], "x_extension": [1, 2] }';
    const res = await g.app.inject({
      method: 'POST',
      url: '/api/v1/chat/completions',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      payload: raw,
    });
    expect(res.statusCode).toBe(200);
    expect((await upstream.stats()).last?.body).toEqual(JSON.parse(raw));
  });

  it('streams: usage always asked upstream, the usage chunk carries the cost, [DONE] last', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId);
    const res = await post(g.app, '/chat/completions', secret, chatBody({ stream: true, max_tokens: 3 }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    for (const h of RATE_HEADERS) expect(res.headers[h], h).toMatch(/^\d+$/);
    expect((await upstream.stats()).last?.body.stream_options).toEqual({ include_usage: true });
    const events = res.body.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(content).toBe(' hello'.repeat(3));
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: PROMPT, completion_tokens: 3, total_tokens: PROMPT + 3 });
    expect(last.cost).toEqual({ usd: (PROMPT + 6) / 1e6, diem: 0 });
    await g.gateway.flush();
    expect((await sums(g.db, accountId)).ledgerUsd).toBe(BigInt(PROMPT + 6));
  });

  it('keeps a client-requested include_usage and the other stream options', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId);
    const options = { include_usage: false, continuous_usage_stats: false };
    const res = await post(g.app, '/chat/completions', secret, chatBody({ stream: true, stream_options: options }));
    expect(res.statusCode).toBe(200);
    expect((await upstream.stats()).last?.body.stream_options).toEqual({ ...options, include_usage: true });
  });

  it('charges nothing for an upstream 4xx and passes it through with its status and body', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId);
    const upstreamBody = { error: { message: 'context too long', code: 'context_length_exceeded' } };
    const mock = `status=400;body=${encodeURIComponent(JSON.stringify(upstreamBody))}`;
    const res = await post(g.app, '/chat/completions', secret, chatBody({ mock }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(upstreamBody);
    expect(res.headers['x-venice-balance-usd']).toBe('1.0000');
    await g.gateway.flush();
    expect(await sums(g.db, accountId)).toMatchObject({ ledgerUsd: 0n, balance: 1_000_000n });
  });

  // A 401 upstream means our own key was refused: the operator must fix it, not the caller.
  it.each(['503', '401'])('answers 502 for an upstream %s and charges nothing', async (status) => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId);
    const res = await post(g.app, '/chat/completions', secret, chatBody({ mock: `status=${status}` }));
    expect(res.statusCode).toBe(502);
    expect(res.json()).toEqual({ error: 'Upstream request failed' });
    expect(res.headers['x-venice-balance-usd']).toBe('1.0000');
    await g.gateway.flush();
    expect(await sums(g.db, accountId)).toMatchObject({ ledgerUsd: 0n, balance: 1_000_000n });
  });

  it('charges what a usage-less upstream produced, counted by a tokenizer', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId);
    const res = await post(g.app, '/chat/completions', secret, chatBody({ mock: 'usage=0;completion=4' }));
    expect(res.statusCode).toBe(200);
    // "hello there" is 2 tokens, plus 4 for the message and 3 for the conversation; 4 × " hello".
    expect(res.json().cost).toEqual({ usd: (9 + 2 * 4) / 1e6, diem: 0 });
  });

  it('refuses an anonymous model to a PRIVATE_ONLY key with Venice’s message', async () => {
    const { accountId } = await g.account(1);
    const secret = await g.key(accountId, { modelPrivacy: 'PRIVATE_ONLY' });
    const res = await post(g.app, '/chat/completions', secret, chatBody({ model: 'anon' }));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error:
        "This API key is set to 'PRIVATE_ONLY', but `anon` is an Anonymous model. Choose a Private, TEE, or E2EE model, or change the model privacy setting of this API key.",
      code: 'MODEL_PRIVACY_RESTRICTED',
    });
    expect((await post(g.app, '/chat/completions', secret, chatBody({ model: 'tee' }))).statusCode).toBe(200);
  });

  it('refuses with 402 when the balance or the key limit cannot cover the worst case', async () => {
    const empty = await g.account(0);
    const broke = await post(g.app, '/chat/completions', await g.key(empty.accountId), chatBody());
    expect(broke.statusCode).toBe(402);
    expect(broke.json()).toEqual({ error: 'Insufficient USD or Diem balance to complete request.' });
    expect(broke.headers['x-venice-balance-usd']).toBe('0.0000');

    const rich = await g.account(10);
    const limited = await g.key(rich.accountId, { limitUsd: 1_000n });
    const res = await post(g.app, '/chat/completions', limited, chatBody());
    expect(res.statusCode).toBe(402);
    expect(res.json().error).toBe(
      'API key USD spend limit exceeded. Your account may still have USD balance, but this API key has reached its configured USD spending limit.',
    );
    // A small enough output bound fits the same limit.
    expect((await post(g.app, '/chat/completions', limited, chatBody({ max_tokens: 10 }))).statusCode).toBe(200);
  });
});

describe('POST /chat/completions request rules', () => {
  let g: Gateway;
  let secret: string;
  beforeAll(async () => {
    g = await startGateway(sqliteFactory, { config: { limits: { inferenceBodyBytes: 4096 } } });
    secret = await g.key((await g.account(1)).accountId);
  });
  afterAll(() => g?.close());

  it.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model is required'],
    [{ model: null, messages: [] }, 'model is required'],
    [{ model: 5, messages: [] }, 'model must be a string'],
  ])('%j → 400 %s', async (payload, error) => {
    const res = await post(g.app, '/chat/completions', secret, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error });
  });

  it('answers 404 for an unknown model, with its id', async () => {
    const res = await post(g.app, '/chat/completions', secret, chatBody({ model: 'nope' }));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Specified model not found: nope' });
  });

  it.each([
    [{ model: 'chat' }, ['messages']],
    [{ model: 'chat', messages: [] }, ['messages']],
    [{ model: 'chat', messages: 'hi' }, ['messages']],
    [{ model: 'chat', messages: [{ content: 'no role' }] }, ['messages', 0, 'role']],
    [chatBody({ max_tokens: '5' }), ['max_tokens']],
    [chatBody({ n: 0 }), ['n']],
    [chatBody({ stream: 'yes' }), ['stream']],
  ])('validates %j in the contract shape', async (payload, path) => {
    const res = await post(g.app, '/chat/completions', secret, payload);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('Invalid request parameters');
    expect(body.details._errors).toEqual([]);
    expect(body.issues[0].path).toEqual(path);
  });

  it('refuses bad JSON, a non-JSON content type, and a model of another type', async () => {
    const raw = (contentType: string, payload: string) =>
      g.app.inject({
        method: 'POST',
        url: '/api/v1/chat/completions',
        headers: { authorization: `Bearer ${secret}`, 'content-type': contentType },
        payload,
      });
    const bad = await raw('application/json', '{"model":');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'Invalid JSON request' });
    const text = await raw('text/plain', '{}');
    expect(text.statusCode).toBe(400);
    expect(text.json()).toEqual({ error: "'Content-Type' must be 'application/json'" });
    const embed = await post(g.app, '/chat/completions', secret, chatBody({ model: 'embed' }));
    expect(embed.statusCode).toBe(400);
    expect(embed.json()).toEqual({ error: 'Model embed cannot be used for chat completions' });
  });

  it('answers 413 with Venice’s message above limits.inferenceBodyBytes', async () => {
    const res = await post(
      g.app,
      '/chat/completions',
      secret,
      chatBody({ messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
    );
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'Request body exceeds the maximum allowed size.' });
    expect(res.headers['x-request-id']).toBeTruthy();
  });
});
