import OpenAI, { type APIError, type RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, type Gateway, startGateway } from '../../packages/server/test/gateway/harness.js';
import { sqliteFactory } from '../../packages/server/test/support/stores.js';

/** The official `openai` client (v6) as a real client of the gateway, over HTTP. */
describe('the openai client against the gateway', () => {
  let g: Gateway;
  let baseURL: string;
  let client: OpenAI;
  const venice = { venice_parameters: { include_venice_system_prompt: false } };
  beforeAll(async () => {
    g = await startGateway(sqliteFactory, {
      config: {
        models: [
          ...CATALOG,
          { ...(CATALOG[1] as (typeof CATALOG)[number]), id: 'tight', rateLimits: { paid: { RPM: 1 } } },
        ],
      },
    });
    baseURL = `${await g.app.listen({ host: '127.0.0.1', port: 0 })}/api/v1`;
    client = new OpenAI({ apiKey: await g.key((await g.account(5)).accountId), baseURL, maxRetries: 0 });
  });
  afterAll(() => g?.close());

  it('chat completion, with the cost the gateway charged', async () => {
    const completion = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 5,
      ...venice,
    });
    expect(completion.choices[0]?.message.content).toBe(' hello'.repeat(5));
    expect(completion.usage?.completion_tokens).toBe(5);
    expect((completion as unknown as { cost: unknown }).cost).toEqual({ usd: (10 + 2 * 5) / 1e6, diem: 0 });
  });

  it('streamed chat completion, with the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 4,
      stream: true,
      ...venice,
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(' hello'.repeat(4));
    expect(usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 4 });
  });

  it('embeddings (the client asks for base64 and decodes it)', async () => {
    const res = await client.embeddings.create({ model: 'embed', input: ['one', 'two'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding).toHaveLength(8);
    expect(res.data[0]?.embedding[0]).toBeCloseTo(Math.sin(1), 5);
  });

  it('models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['chat', 'same', 'anon', 'tee', 'tight']);
  });

  it('error classes: 402, 403, 404, 429', async () => {
    const call = (c: OpenAI, model: string) =>
      c.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], ...venice });

    const broke = new OpenAI({ apiKey: await g.key((await g.account(0)).accountId), baseURL, maxRetries: 0 });
    const paid = await call(broke, 'chat').catch((e: unknown) => e);
    expect(paid).toBeInstanceOf(OpenAI.APIError);
    expect((paid as APIError).status).toBe(402);
    expect((paid as APIError).message).toContain('Insufficient USD or Diem balance');

    const { accountId } = await g.account(1);
    const privateOnly = new OpenAI({
      apiKey: await g.key(accountId, { modelPrivacy: 'PRIVATE_ONLY' }),
      baseURL,
      maxRetries: 0,
    });
    await expect(call(privateOnly, 'anon')).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(call(client, 'nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    await call(client, 'tight');
    const limited = await call(client, 'tight').catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as RateLimitError).headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('401 for a key the gateway does not know', async () => {
    const stranger = new OpenAI({ apiKey: 'VENICE_INFERENCE_KEY_unknown', baseURL, maxRetries: 0 });
    await expect(stranger.embeddings.create({ model: 'embed', input: 'x' })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });
});
