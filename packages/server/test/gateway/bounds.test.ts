import { encodeChat, countTokens as o200k } from 'gpt-tokenizer';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import {
  type ChatBody,
  CONVERSATION_ALLOWANCE,
  chatBounds,
  chatPromptTokensUpper,
  EMBEDDING_INPUT_ALLOWANCE,
  embeddingBounds,
  estimateChatPromptTokens,
  estimateStreamedTokens,
  MEDIA_PART_TOKENS,
  MESSAGE_ALLOWANCE,
  outputTokensUpper,
  PromptCalibration,
  VENICE_SYSTEM_PROMPT_ALLOWANCE,
} from '../../src/domain/gateway/bounds.js';

const limits = { contextTokens: 1_000_000, maxCompletionTokens: 4096 };
const noVenicePrompt = { venice_parameters: { include_venice_system_prompt: false } };
const special = { disallowedSpecial: new Set<string>() };

/** A small seeded PRNG (mulberry32), so that a failing case can be reproduced from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABETS = [
  'abcdefghijklmnopqrstuvwxyz ',
  '0123456789',
  ' \t\n\r    ',
  '{}[]()<>;:,./\\|!?@#$%^&*-_=+`~"\'',
  '日本語の文章と中文字符한국어',
  'Ωλφαβέτοкириллица',
  '😀🚀👩‍👩‍👧‍👦🏳️‍🌈🇫🇷',
  '\u0301\u200d\ufe0f\u00a0',
];

/** Text drawn from a mix of scripts, symbols, emoji sequences, combining marks and whitespace runs. */
function randomText(next: () => number, maxLength: number): string {
  const length = Math.floor(next() * maxLength);
  let s = '';
  while (s.length < length) {
    const alphabet = [...(ALPHABETS[Math.floor(next() * ALPHABETS.length)] as string)];
    const run = 1 + Math.floor(next() * 12);
    for (let i = 0; i < run; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    if (next() < 0.05) s += '<|endoftext|>';
    if (next() < 0.1) s += String.fromCodePoint(0x20 + Math.floor(next() * 0x2ffff));
  }
  return s;
}

describe('prompt upper bound', () => {
  it('is at least what gpt-tokenizer counts (cl100k and o200k, chat template included) for varied text', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = rng(seed);
      const messages = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: randomText(next, 2_000),
      }));
      const upper = chatPromptTokensUpper({ messages, ...noVenicePrompt }, limits);
      const joined = messages.map((m) => m.content).join('');
      const counts = [o200k(joined, special), cl100k(joined, special), encodeChat(messages, 'gpt-4o', special).length];
      for (const count of counts) expect(upper, `seed ${seed}`).toBeGreaterThanOrEqual(count);
    }
  });

  it('counts UTF-8 bytes of text parts plus allowances, and media parts at their allowance', () => {
    const body: ChatBody = {
      messages: [
        { role: 'system', content: 'héllo' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'abc' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(100_000)}` } },
          ],
        },
      ],
      ...noVenicePrompt,
    };
    // roles "system" (6) and "user" (4); "héllo" is 6 bytes
    const expected = CONVERSATION_ALLOWANCE + 2 * MESSAGE_ALLOWANCE + 6 + 6 + 4 + 3 + MEDIA_PART_TOKENS;
    expect(chatPromptTokensUpper(body, limits)).toBe(expected);
  });

  it("adds Venice's system prompt unless it is turned off", () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const without = chatPromptTokensUpper({ messages, ...noVenicePrompt }, limits);
    expect(chatPromptTokensUpper({ messages }, limits)).toBe(without + VENICE_SYSTEM_PROMPT_ALLOWANCE);
  });

  it('counts tools and tool calls at twice their JSON length', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const messages = [{ role: 'assistant', tool_calls: [{ id: '1', type: 'function', function: { name: 'f' } }] }];
    const base = chatPromptTokensUpper({ messages: [{ role: 'assistant' }], ...noVenicePrompt }, limits);
    const upper = chatPromptTokensUpper({ messages, tools, ...noVenicePrompt }, limits);
    expect(upper).toBe(base + 2 * JSON.stringify(tools).length + 2 * JSON.stringify(messages[0]?.tool_calls).length);
  });

  it('is the whole context when Venice adds text of its own, and never more than the context', () => {
    const small = { contextTokens: 100, maxCompletionTokens: 10 };
    const messages = [{ role: 'user', content: 'x'.repeat(10_000) }];
    expect(chatPromptTokensUpper({ messages }, small)).toBe(100);
    const search = { messages: [{ role: 'user', content: 'hi' }], venice_parameters: { enable_web_search: 'auto' } };
    expect(chatPromptTokensUpper(search, limits)).toBe(limits.contextTokens);
    const off = { ...search, venice_parameters: { enable_web_search: 'off', include_venice_system_prompt: false } };
    expect(chatPromptTokensUpper(off, limits)).toBeLessThan(100);
  });

  it('bounds embeddings per input, token arrays by their length, each capped by the context', () => {
    const small = { contextTokens: 50, maxCompletionTokens: 10 };
    expect(embeddingBounds({ input: 'héllo' }, small)).toEqual({
      promptTokensUpper: 6 + EMBEDDING_INPUT_ALLOWANCE,
      outputTokensUpper: 0,
    });
    expect(embeddingBounds({ input: ['ab', 'x'.repeat(500)] }, small).promptTokensUpper).toBe(
      2 + EMBEDDING_INPUT_ALLOWANCE + 50,
    );
    expect(embeddingBounds({ input: [1, 2, 3] }, small).promptTokensUpper).toBe(3 + EMBEDDING_INPUT_ALLOWANCE);
    expect(embeddingBounds({ input: [[1, 2], [3]] }, small).promptTokensUpper).toBe(3 + 2 * EMBEDDING_INPUT_ALLOWANCE);
    for (let seed = 1; seed <= 50; seed++) {
      const text = randomText(rng(seed), 3_000);
      expect(embeddingBounds({ input: text }, limits).promptTokensUpper).toBeGreaterThanOrEqual(cl100k(text, special));
    }
  });
});

describe('output bound', () => {
  const model = { contextTokens: 32_768, maxCompletionTokens: 4096 };
  it.each([
    [{}, 4096],
    [{ max_tokens: 100 }, 100],
    [{ max_completion_tokens: 50, max_tokens: 100 }, 50],
    [{ max_completion_tokens: 0, max_tokens: 100 }, 100],
    [{ max_completion_tokens: -5 }, 4096],
    [{ max_tokens: 0 }, 4096],
    [{ max_tokens: null, max_completion_tokens: null }, 4096],
    [{ max_tokens: 1_000_000 }, 4096],
    [{ max_tokens: 100, n: 3 }, 300],
    [{ n: 2 }, 8192],
    [{ max_tokens: 10.2 }, 11],
  ])('%j → %i', (body, expected) => {
    expect(outputTokensUpper(body, model)).toBe(expected);
  });

  it('chat bounds combine both', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 7, ...noVenicePrompt };
    expect(chatBounds(body, model)).toEqual({
      promptTokensUpper: CONVERSATION_ALLOWANCE + MESSAGE_ALLOWANCE + 4 + 2,
      outputTokensUpper: 7,
    });
  });
});

describe('TPM estimate', () => {
  it('starts at half the upper bound and learns from settled prompts, never above the bound', () => {
    const c = new PromptCalibration();
    expect(c.estimate('m', 1000)).toBe(Math.ceil(1000 * 0.5 * 1.25));
    c.observe('m', 1000, 200, limits);
    expect(c.estimate('m', 1000)).toBe(250);
    for (let i = 0; i < 100; i++) c.observe('m', 1000, 1000, limits);
    expect(c.estimate('m', 1000)).toBe(1000);
    expect(c.estimate('other', 10)).toBe(7);
  });

  it('ignores bounds capped by the context', () => {
    const c = new PromptCalibration();
    c.observe('m', limits.contextTokens, 5, limits);
    expect(c.estimate('m', 1000)).toBe(625);
  });
});

describe('estimates after a disconnect (tokenizer, off the hot path)', () => {
  it('counts the prompt with gpt-tokenizer, media at its allowance, capped by the reserved bound', async () => {
    const body: ChatBody = {
      messages: [
        { role: 'user', content: 'hello world' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'again' },
            { type: 'image_url', image_url: { url: 'x' } },
          ],
        },
      ],
    };
    const expected = 3 + 2 * 4 + MEDIA_PART_TOKENS + o200k('hello world\nagain');
    expect(await estimateChatPromptTokens(body, 1_000_000)).toBe(expected);
    expect(await estimateChatPromptTokens(body, 10)).toBe(10);
  });

  it('counts streamed output by tokens or chunks, whichever is more, capped by the output bound', async () => {
    expect(await estimateStreamedTokens(' hello hello hello', 3, 100)).toBe(3);
    expect(await estimateStreamedTokens('', 5, 100)).toBe(5);
    expect(await estimateStreamedTokens(' hello'.repeat(50), 50, 20)).toBe(20);
  });
});
