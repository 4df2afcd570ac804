import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VERSION, VeniceClient, VeniceError, VeniceValidationError } from '../src/index.js';
import { ADMIN, CREATED, client, fakeFetch, json, KEY, WALLET } from './support.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('client options', () => {
  it('reads VENICE_API_KEY and VENICE_BASE_URL, and defaults to api.venice.ai', async () => {
    vi.stubEnv('VENICE_API_KEY', ' from-env ');
    vi.stubEnv('VENICE_BASE_URL', '');
    const f = fakeFetch(json(200, { data: [] }));
    const c = new VeniceClient({ fetch: f.fetch });
    expect(c.baseURL).toBe('https://api.venice.ai/api/v1');
    expect(c.hasApiKey).toBe(true);
    await c.apiKeys.list();
    expect(f.requests[0]?.url).toBe('https://api.venice.ai/api/v1/api_keys');
    expect(f.requests[0]?.headers.authorization).toBe('Bearer from-env');
    await new VeniceClient({ fetch: f.fetch, apiKey: 'explicit' }).apiKeys.list();
    expect(f.requests[1]?.headers.authorization).toBe('Bearer explicit');
    // null opts out of the environment: no Authorization header at all.
    const anonymous = new VeniceClient({ fetch: f.fetch, apiKey: null });
    expect(anonymous.hasApiKey).toBe(false);
    await anonymous.apiKeys.list();
    expect(f.requests[2]?.headers.authorization).toBeUndefined();
    vi.stubEnv('VENICE_BASE_URL', 'http://127.0.0.1:8787');
    expect(new VeniceClient({ fetch: f.fetch }).baseURL).toBe('http://127.0.0.1:8787/api/v1');
  });

  it('has no key when neither the option nor the environment gives one', async () => {
    vi.stubEnv('VENICE_API_KEY', '');
    const f = fakeFetch(json(200, { data: [] }));
    const c = new VeniceClient({ fetch: f.fetch, baseURL: 'http://h' });
    expect(c.hasApiKey).toBe(false);
    await c.apiKeys.list();
    expect(f.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps the key out of anything that prints the client', () => {
    const c = client(fakeFetch(json(200, {})).fetch);
    expect(inspect(c, { depth: 5, showHidden: true })).not.toContain(ADMIN.slice(-44));
    expect(Object.keys(c)).not.toContain('apiKey');
  });

  it('appends /api/v1 to a bare origin and tolerates a trailing slash', () => {
    const f = fakeFetch(json(200, {}));
    const base = (baseURL: string) => new VeniceClient({ fetch: f.fetch, baseURL }).baseURL;
    expect(base('http://h:1')).toBe('http://h:1/api/v1');
    expect(base('http://h:1/')).toBe('http://h:1/api/v1');
    expect(base('http://h:1/api/v1/')).toBe('http://h:1/api/v1');
    expect(base('http://h:1/proxy/venice')).toBe('http://h:1/proxy/venice');
  });

  it('refuses bad options locally', () => {
    const f = fakeFetch(json(200, {}));
    const bad: [object, string][] = [
      [{ baseURL: 'not a url' }, 'baseURL'],
      [{ timeout: 0 }, 'timeout'],
      [{ timeout: Number.NaN }, 'timeout'],
      [{ maxRetries: -1 }, 'maxRetries'],
      [{ maxRetries: 1.5 }, 'maxRetries'],
    ];
    for (const [options, param] of bad) {
      expect(() => new VeniceClient({ fetch: f.fetch, ...options }), param).toThrow(VeniceValidationError);
      try {
        new VeniceClient({ fetch: f.fetch, ...options });
      } catch (e) {
        expect((e as VeniceValidationError).param).toBe(param);
      }
    }
  });

  it('calls fetch as a plain function, as browsers require of window.fetch', async () => {
    const strictFetch = function (this: unknown) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return Promise.resolve(json(200, { data: [] }));
    } as unknown as typeof fetch;
    expect(await client(strictFetch).apiKeys.list()).toEqual([]);
    vi.stubGlobal('fetch', strictFetch);
    expect(await new VeniceClient({ apiKey: 'k', baseURL: 'http://h' }).apiKeys.list()).toEqual([]);
  });

  it('refuses a possibly-ADMIN key in a browser unless told it is fine', () => {
    vi.stubGlobal('window', {});
    vi.stubGlobal('document', {});
    const f = fakeFetch(json(200, {}));
    expect(() => new VeniceClient({ apiKey: ADMIN, fetch: f.fetch })).toThrow(VeniceValidationError);
    expect(() => new VeniceClient({ apiKey: 'sk-unknown-format', fetch: f.fetch })).toThrow(/dangerouslyAllowBrowser/);
    expect(() => new VeniceClient({ apiKey: ADMIN, fetch: f.fetch, dangerouslyAllowBrowser: true })).not.toThrow();
    expect(() => new VeniceClient({ apiKey: `VENICE_INFERENCE_KEY_${'x'.repeat(44)}`, fetch: f.fetch })).not.toThrow();
    // Minting a web3 key from a dapp needs no key at all.
    expect(() => new VeniceClient({ apiKey: null, fetch: f.fetch })).not.toThrow();
  });

  it('sends its version, which is the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const f = fakeFetch(json(200, { data: [] }));
    await client(f.fetch).apiKeys.list();
    expect(f.requests[0]?.headers['x-venice-sdk']).toBe(`venice-keys-ts/${pkg.version}`);
  });
});

describe('logging', () => {
  const capture = () => {
    const lines: string[] = [];
    const at = (level: string) => (m: string, d?: object) => lines.push(`${level} ${m} ${JSON.stringify(d)}`);
    return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
  };

  it('logs requests, bodies, retries and failures without the Authorization header or a secret', async () => {
    const { lines, logger } = capture();
    const f = fakeFetch(
      json(503, { error: 'busy' }, { 'retry-after-ms': '1' }),
      json(200, { success: true, data: CREATED }),
      json(401, { error: 'no' }),
    );
    const c = client(f.fetch, { logger, logLevel: 'debug' });
    await c.apiKeys.create({ apiKeyType: 'INFERENCE', description: 'logged' });
    await c.apiKeys.list().catch(() => undefined);
    const text = lines.join('\n');
    expect(lines.some((l) => l.startsWith('debug venice: request') && l.includes('"description":"logged"'))).toBe(true);
    expect(lines.some((l) => l.startsWith('debug venice: response body') && l.includes(CREATED.id))).toBe(true);
    expect(lines.some((l) => l.startsWith('info venice: retrying'))).toBe(true);
    expect(lines.some((l) => l.startsWith('debug venice: request failed'))).toBe(true);
    expect(text).not.toContain(ADMIN.slice(-44));
    expect(text).not.toContain(CREATED.apiKey.slice(-44));
    expect(text).toContain('"authorization":"[redacted]"');
    expect(text).toContain('"apiKey":"[redacted]"');
  });

  it('redacts the wallet signature and token of a mint', async () => {
    const { lines, logger } = capture();
    const f = fakeFetch((req) =>
      req.method === 'GET'
        ? json(200, { success: true, data: { token: 'jwt.secret.part' } })
        : json(200, { success: true, data: CREATED }),
    );
    const signer = { type: 'local', address: WALLET, signMessage: async () => '0xsignaturehex' };
    await client(f.fetch, { logger, logLevel: 'debug' }).apiKeys.mintWeb3Key({ signer, apiKeyType: 'INFERENCE' });
    const text = lines.join('\n');
    expect(text).toContain(WALLET);
    expect(text).not.toContain('jwt.secret.part');
    expect(text).not.toContain('0xsignaturehex');
  });

  it('is silent below the level, which defaults to warn, and follows VENICE_LOG', async () => {
    const quiet = capture();
    await client(fakeFetch(json(200, { data: [] })).fetch, { logger: quiet.logger }).apiKeys.list();
    expect(quiet.lines).toEqual([]);
    vi.stubEnv('VENICE_LOG', 'info');
    const info = capture();
    const f = fakeFetch(json(500, { error: 'x' }, { 'retry-after-ms': '1' }), json(200, { data: [] }));
    await client(f.fetch, { logger: info.logger }).apiKeys.list();
    expect(info.lines.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['info venice: retrying']);
  });

  it('uses the console when no logger is given', async () => {
    vi.stubEnv('VENICE_LOG', 'debug');
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => undefined);
    await client(fakeFetch(json(200, { data: [] })).fetch, { logger: undefined }).apiKeys.list();
    expect(debug).toHaveBeenCalledWith('venice: request', expect.objectContaining({ method: 'GET' }));
    expect(JSON.stringify(debug.mock.calls)).not.toContain(ADMIN.slice(-44));
  });
});

describe('local validation', () => {
  const never = () => {
    const f = fakeFetch(json(200, { success: true, data: CREATED }));
    return { c: client(f.fetch), f };
  };
  const rejection = async (p: PromiseLike<unknown>) => {
    const e = await Promise.resolve(p).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(VeniceValidationError);
    expect(e).toBeInstanceOf(VeniceError);
    return e as VeniceValidationError;
  };

  it.each([
    [{ apiKeyType: 'INFERENCE', description: 'x'.repeat(65) }, 'description'],
    [{ apiKeyType: 'INFERENCE', description: '' }, 'description'],
    [{ apiKeyType: 'INFERENCE' }, 'description'],
    [{ description: 'd' }, 'apiKeyType'],
    [{ apiKeyType: 'SUPER', description: 'd' }, 'apiKeyType'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-02-30' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-01-01T24:00:00Z' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-01-01T10:00:60Z' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-01-01T00:00:00+02:00' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-01-01T00:00:00' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-01-01T00:00:00.1Z' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: null }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: -1 } }, 'consumptionLimit.usd'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { diem: Number.NaN } }, 'consumptionLimit.diem'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: 1e10 } }, 'consumptionLimit.usd'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: '5' } }, 'consumptionLimit.usd'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { eur: 1 } }, 'consumptionLimit.eur'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: 5 }, 'consumptionLimit'],
    [{ apiKeyType: 'INFERENCE', description: 'd', limitPeriod: 'WEEK' }, 'limitPeriod'],
    [{ apiKeyType: 'INFERENCE', description: 'd', modelPrivacy: 'NONE' }, 'modelPrivacy'],
  ])('create refuses %j locally (%s), sending nothing', async (params, param) => {
    const { c, f } = never();
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    const e = await rejection(c.apiKeys.create(params as any));
    expect(e.param).toBe(param);
    expect(e.message).toMatch(new RegExp(`^Invalid ${param.replace('.', '\\.')}: `));
    expect(f.requests).toHaveLength(0);
  });

  it('refuses empty or path-escaping ids, bad updates, bad paging and bad request options', async () => {
    const { c, f } = never();
    expect((await rejection(c.apiKeys.retrieve(''))).param).toBe('id');
    expect((await rejection(c.apiKeys.retrieve('..'))).param).toBe('id');
    expect((await rejection(c.apiKeys.delete('  '))).param).toBe('id');
    expect((await rejection(c.apiKeys.update({ id: '' }))).param).toBe('id');
    expect((await rejection(c.apiKeys.update({ id: KEY.id, description: 'y'.repeat(65) }))).param).toBe('description');
    expect((await rejection(c.apiKeys.list({ page: 0 }))).param).toBe('page');
    expect((await rejection(c.apiKeys.list({ limit: 501 }))).param).toBe('limit');
    expect((await rejection(c.apiKeys.list({ limit: 2.5 }))).param).toBe('limit');
    expect((await rejection(c.apiKeys.list({}, { timeout: -1 }))).param).toBe('timeout');
    expect((await rejection(c.apiKeys.list({}, { maxRetries: Number.NaN }))).param).toBe('maxRetries');
    const badKey = { idempotencyKey: 'x'.repeat(256) };
    const valid = { apiKeyType: 'INFERENCE', description: 'd' } as const;
    expect((await rejection(c.apiKeys.create(valid, badKey))).param).toBe('idempotencyKey');
    expect((await rejection(c.apiKeys.create(valid, { idempotencyKey: '' }))).param).toBe('idempotencyKey');
    const iterate = async (params: object) => {
      for await (const _ of c.apiKeys.iterAll(params)) expect.unreachable();
    };
    expect((await rejection(iterate({ pageSize: 0 }))).param).toBe('pageSize');
    expect((await rejection(iterate({ pageSize: 501 }))).param).toBe('pageSize');
    expect((await rejection(iterate({ maxItems: -1 }))).param).toBe('maxItems');
    expect(f.requests).toHaveLength(0);
  });

  it('refuses bad web3 input before fetching a token', async () => {
    const { c, f } = never();
    const signer = { type: 'local', address: WALLET, signMessage: async () => '0x' };
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    const mint = (p: object) => c.apiKeys.mintWeb3Key(p as any);
    expect((await rejection(mint({ signer: {}, apiKeyType: 'INFERENCE' }))).param).toBe('signer');
    expect((await rejection(mint({ signer, apiKeyType: 'NOPE' }))).param).toBe('apiKeyType');
    expect((await rejection(mint({ signer, apiKeyType: 'ADMIN', description: '' }))).param).toBe('description');
    expect((await rejection(mint({ signer, apiKeyType: 'ADMIN', address: '0x12' }))).param).toBe('address');
    const noAddress = { signMessage: async (m: string) => m };
    expect((await rejection(mint({ signer: noAddress, apiKeyType: 'ADMIN' }))).param).toBe('address');
    const web3 = { address: WALLET, signature: '0x1', token: 't', apiKeyType: 'INFERENCE' } as const;
    expect((await rejection(c.apiKeys.createWeb3Key({ ...web3, address: 'vitalik.eth' }))).param).toBe('address');
    expect((await rejection(c.apiKeys.createWeb3Key({ ...web3, signature: '' }))).param).toBe('signature');
    expect((await rejection(c.apiKeys.createWeb3Key({ ...web3, token: '' }))).param).toBe('token');
    expect((await rejection(c.apiKeys.createWeb3Key({ ...web3, expiresAt: 'tomorrow' }))).param).toBe('expiresAt');
    expect(f.requests).toHaveLength(0);
  });

  it('accepts every valid expiry form, and null and "" on update', async () => {
    const { c, f } = never();
    for (const expiresAt of ['', '2027-01-01', '2027-01-01T10:00:00Z', '2027-01-01T10:00:00.123Z', '2028-02-29']) {
      await c.apiKeys.create({ apiKeyType: 'ADMIN', description: 'ok', expiresAt });
    }
    const patch = fakeFetch(json(200, { success: true, data: KEY }));
    await client(patch.fetch).apiKeys.update({ id: KEY.id, expiresAt: null });
    await client(patch.fetch).apiKeys.update({ id: KEY.id, expiresAt: '' });
    expect(f.requests).toHaveLength(5);
    expect(patch.requests).toHaveLength(2);
  });

  it('rejects the promise rather than throwing, so .catch() sees local errors', async () => {
    const { c } = never();
    let thrown: unknown;
    let caught: unknown;
    try {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
      await c.apiKeys.create({} as any).catch((e: unknown) => {
        caught = e;
      });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeUndefined();
    expect(caught).toBeInstanceOf(VeniceValidationError);
  });
});
