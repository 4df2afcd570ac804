import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatPromptTokensUpper, estimateChatPromptTokens } from '../../src/domain/gateway/bounds.js';
import { sums } from '../gateway-engine/engine.js';
import { sqliteFactory } from '../support/stores.js';
import { chatBody, type Gateway, startGateway } from './harness.js';

const MODEL = { contextTokens: 32_768, maxCompletionTokens: 4096 };

/** What a request that ended without usage is charged for its prompt: the tokenizer's count (model `chat`: 1 µUSD/token). */
const promptEstimate = (body: ReturnType<typeof chatBody>) =>
  estimateChatPromptTokens(body, chatPromptTokensUpper(body, MODEL));

/** Streams over real HTTP (app.inject would wait for the whole answer). */
describe('streaming over HTTP', () => {
  let g: Gateway;
  let base: string;
  beforeAll(async () => {
    g = await startGateway(sqliteFactory, { config: { upstream: { timeoutMs: 1_500 } } });
    base = `${await g.app.listen({ host: '127.0.0.1', port: 0 })}/api/v1`;
  });
  afterAll(() => g?.close());

  const open = async (secret: string, body: unknown, signal?: AbortSignal) => {
    const res = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
    expect(res.status).toBe(200);
    return { res, reader: () => (res.body as ReadableStream<Uint8Array>).getReader() };
  };

  /** Reads events until `count` content chunks arrived. */
  const readContent = async (reader: ReadableStreamDefaultReader<Uint8Array>, count: number) => {
    const decoder = new TextDecoder();
    let text = '';
    while ((text.match(/"content":" hello"/g) ?? []).length < count) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended early: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    return text;
  };

  /** Settlement of a stream runs after its end; wait until this account's reservation is settled. */
  const settled = async (accountId: string) => {
    for (let i = 0; i < 200; i++) {
      await g.gateway.flush();
      const s = await sums(g.db, accountId);
      if (s.balance !== 1_000_000n || s.ledgerUsd > 0n) return s;
      await sleep(10);
    }
    throw new Error('never settled');
  };

  it('relays each chunk as it arrives: the client reads while the upstream still holds the stream', async () => {
    const { accountId } = await g.account(1);
    const controller = new AbortController();
    const { reader } = await open(
      await g.key(accountId),
      chatBody({ stream: true, mock: 'hangAfter=1' }),
      controller.signal,
    );
    const text = await readContent(reader(), 1);
    expect(text.startsWith('data: {')).toBe(true);
    expect((await g.upstream.stats()).inFlight).toBe(1);
    controller.abort();
    await g.upstream.waitFor((s) => s.inFlight === 0);
  });

  it('a client that disconnects cancels the upstream at once and pays only the prompt and what was streamed', async () => {
    const { accountId } = await g.account(1);
    const before = (await g.upstream.stats()).aborted;
    const body = chatBody({ stream: true, mock: 'hangAfter=3' });
    const controller = new AbortController();
    const { reader } = await open(await g.key(accountId), body, controller.signal);
    await readContent(reader(), 3);
    controller.abort();
    await g.upstream.waitFor((s) => s.aborted === before + 1);
    const charged = (await promptEstimate(body)) + 2 * 3;
    const s = await settled(accountId);
    expect(s.ledgerUsd).toBe(BigInt(charged));
    expect(s.balance).toBe(1_000_000n - BigInt(charged));
  });

  it('an upstream that fails mid-stream: the error in-band, then [DONE]; the streamed part is charged', async () => {
    const { accountId } = await g.account(1);
    const body = chatBody({ stream: true, mock: 'dropAfter=2' });
    const { res } = await open(await g.key(accountId), body);
    const text = await res.text();
    expect(text).toMatch(/"content":" hello".*\n\n.*"content":" hello"/s);
    expect(text.endsWith('data: {"error":{"message":"Upstream request failed"}}\n\ndata: [DONE]\n\n')).toBe(true);
    const s = await settled(accountId);
    expect(s.ledgerUsd).toBe(BigInt((await promptEstimate(body)) + 2 * 2));
  });

  it('an upstream that fails before any output charges nothing', async () => {
    const { accountId } = await g.account(1);
    const { res } = await open(await g.key(accountId), chatBody({ stream: true, mock: 'dropAfter=0' }));
    expect(
      (await res.text()).endsWith('data: {"error":{"message":"Upstream request failed"}}\n\ndata: [DONE]\n\n'),
    ).toBe(true);
    for (let i = 0; i < 20; i++) await g.gateway.flush();
    expect(await sums(g.db, accountId)).toMatchObject({ ledgerUsd: 0n, balance: 1_000_000n });
  });

  it('a stream past upstream.timeoutMs ends with the timeout in-band and cancels the upstream', async () => {
    const { accountId } = await g.account(1);
    const before = (await g.upstream.stats()).aborted;
    const { res } = await open(await g.key(accountId), chatBody({ stream: true, mock: 'hangAfter=1' }));
    const text = await res.text();
    expect(text.endsWith('data: {"error":{"message":"Upstream request timed out"}}\n\ndata: [DONE]\n\n')).toBe(true);
    await g.upstream.waitFor((s) => s.aborted === before + 1);
  });

  it('synthesises the usage chunk, with its cost, when the upstream sends none', async () => {
    const { accountId } = await g.account(1);
    const body = chatBody({ stream: true, mock: 'usage=0;completion=2' });
    const { res } = await open(await g.key(accountId), body);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const usage = JSON.parse((events.at(-2) as string).slice(6));
    const prompt = await promptEstimate(body);
    expect(usage).toMatchObject({
      choices: [],
      usage: { prompt_tokens: prompt, completion_tokens: 2 },
      cost: { usd: (prompt + 4) / 1e6, diem: 0 },
    });
  });
});
