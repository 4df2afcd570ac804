import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('works with no configuration at all', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      databaseUrl: 'sqlite:./data/venice-keys.db',
      redisUrl: undefined,
      upstream: {
        url: 'https://api.venice.ai/api/v1',
        apiKey: undefined,
        apiKeyEnv: 'VENICE_UPSTREAM_API_KEY',
        timeoutMs: 600_000,
      },
      accounts: { defaultTier: 'paid', diemEpochAllocation: 0n, startingBalanceUsd: 0n },
      limits: { keyCreatesPerMinute: 20, maxActiveKeys: 500, inferenceBodyBytes: 33_554_432 },
      web3: {
        enabled: false,
        chainId: 8453,
        tokenAddress: '0x321b7ff75154472B18EDb199033fF4D116F340Ff',
        minBalance: 1n,
      },
    });
    expect(c.models.length).toBeGreaterThan(2);
    expect(c.models[0]?.rateLimits.paid).toEqual({ RPM: 50, RPD: 20_000, TPM: 1_000_000 });
    expect(c.models[1]?.rateLimits.paid).toEqual({ RPM: 500, RPD: 100_000, TPM: 2_000_000 });
    for (const m of c.models) expect(m).toMatchObject({ contextTokens: 32_768, maxCompletionTokens: 4096 });
  });

  it('changes only what a file says, and the environment wins', () => {
    const path = file(
      'partial.json',
      JSON.stringify({ web3: { rpcUrl: 'http://127.0.0.1:9/' }, upstream: { url: 'http://127.0.0.1:1/v1' } }),
    );
    const c = loadConfig({
      VENICE_KEYS_CONFIG: path,
      VENICE_UPSTREAM_URL: 'http://127.0.0.1:2/v1',
      PORT: '9999',
      REDIS_URL: 'redis://x',
    });
    expect(c.web3).toMatchObject({ rpcUrl: 'http://127.0.0.1:9/', chainId: 8453, enabled: false });
    expect(c.upstream.url).toBe('http://127.0.0.1:2/v1');
    expect(c.port).toBe(9999);
    expect(c.redisUrl).toBe('redis://x');
  });

  it('reads YAML, a custom tier and catalog, and the upstream key from the named variable', () => {
    const path = file(
      'full.yaml',
      [
        'upstream: { apiKeyEnv: MY_UPSTREAM_KEY }',
        'accounts: { defaultTier: gold, startingBalanceUsd: 1.5 }',
        'tiers: { gold: { RPM: 1, RPD: 2, TPM: 3 } }',
        'models:',
        '  - { id: m1, type: text, privacy: tee, pricing: { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.2 }, rateLimits: { gold: { RPM: 9 } },',
        '      contextTokens: 128000, maxCompletionTokens: 16384 }',
        'limits: { inferenceBodyBytes: 1024 }',
      ].join('\n'),
    );
    const c = loadConfig({ VENICE_KEYS_CONFIG: path, MY_UPSTREAM_KEY: 'up' });
    expect(c.upstream).toMatchObject({ apiKey: 'up', apiKeyEnv: 'MY_UPSTREAM_KEY' });
    expect(c.limits.inferenceBodyBytes).toBe(1024);
    expect(c.accounts).toMatchObject({ defaultTier: 'gold', startingBalanceUsd: 1_500_000n });
    expect(c.models).toEqual([
      {
        id: 'm1',
        upstreamModel: 'm1',
        type: 'text',
        privacy: 'tee',
        pricing: { inputPerMTok: 100_000n, outputPerMTok: 200_000n },
        contextTokens: 128_000,
        maxCompletionTokens: 16_384,
        rateLimits: { paid: { RPM: 500, RPD: 100_000, TPM: 2_000_000 }, gold: { RPM: 9, RPD: 2, TPM: 3 } },
      },
    ]);
  });

  it.each([
    ['{"web3": {"minBalance": 5}}', 'web3.minBalance'],
    ['{"limits": {"maxActiveKeys": 0}}', 'limits.maxActiveKeys'],
    [
      '{"models": [{"id": "x", "type": "hologram", "privacy": "private", "pricing": {"inputUsdPerMTok": 1, "outputUsdPerMTok": 1}}]}',
      'models.0.type',
    ],
    ['{"upstream": {"url": "not a url"}}', 'upstream.url'],
    ['{"limits": {"inferenceBodyBytes": 0}}', 'limits.inferenceBodyBytes'],
    [
      '{"models": [{"id": "x", "type": "text", "privacy": "private", "pricing": {"inputUsdPerMTok": 1, "outputUsdPerMTok": 1}, "contextTokens": 1.5}]}',
      'models.0.contextTokens',
    ],
    ['{"surprise": true}', '(root)'],
    ['{"accounts": {"defaultTier": "nope"}}', 'accounts.defaultTier'],
    ['{"web3": {"tokenAddress": "0x12"}}', 'web3.tokenAddress'],
  ])('stops on an invalid file %s, naming %s', (text, field) => {
    const path = file(`bad-${field}.json`, text);
    expect(() => loadConfig({ VENICE_KEYS_CONFIG: path })).toThrow(ConfigError);
    expect(() => loadConfig({ VENICE_KEYS_CONFIG: path })).toThrow(field);
  });

  it('reads who to trust for client addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8']);
    const path = file('proxy.json', JSON.stringify({ server: { trustProxy: ['192.168.0.1'] } }));
    expect(loadConfig({ VENICE_KEYS_CONFIG: path }).trustProxy).toEqual(['192.168.0.1']);
  });

  it('refuses unreadable files, bad syntax and a bad PORT', () => {
    expect(() => loadConfig({ VENICE_KEYS_CONFIG: join(dir, 'missing.json') })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ VENICE_KEYS_CONFIG: file('broken.json', '{') })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be a whole number/);
  });
});
