import { afterEach, describe, expect, it, vi } from 'vitest';
import { VeniceClient, VeniceError, VeniceValidationError } from '../src/index.js';
import { ADMIN, CREATED, client, fakeFetch, json, KEY } from './support.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

describe('client options', () => {
  it('reads VENICE_API_KEY and VENICE_BASE_URL, and defaults to api.venice.ai', async () => {
    vi.stubEnv('VENICE_API_KEY', ' from-env ');
    vi.stubEnv('VENICE_BASE_URL', '');
    const f = fakeFetch(json(200, { data: [] }));
    const c = new VeniceClient({ fetch: f.fetch });
    expect(c.baseURL).toBe('https://api.venice.ai/api/v1');
    await c.apiKeys.list();
    expect(f.requests[0]?.headers.authorization).toBe('Bearer from-env');
    vi.stubEnv('VENICE_BASE_URL', 'http://127.0.0.1:8787');
    expect(new VeniceClient({ fetch: f.fetch }).baseURL).toBe('http://127.0.0.1:8787/api/v1');
    expect(new VeniceClient({ fetch: f.fetch, apiKey: 'explicit' }).apiKey).toBe('explicit');
  });

  it('appends /api/v1 to a bare origin and tolerates a trailing slash', () => {
    const f = fakeFetch(json(200, {}));
    expect(new VeniceClient({ fetch: f.fetch, baseURL: 'http://h:1/' }).baseURL).toBe('http://h:1/api/v1');
    expect(new VeniceClient({ fetch: f.fetch, baseURL: 'http://h:1/api/v1/' }).baseURL).toBe('http://h:1/api/v1');
    expect(new VeniceClient({ fetch: f.fetch, baseURL: 'http://h:1/proxy/venice' }).baseURL).toBe(
      'http://h:1/proxy/venice',
    );
  });

  it('refuses an ADMIN key in a browser unless told it is fine', () => {
    vi.stubGlobal('window', {});
    vi.stubGlobal('document', {});
    const f = fakeFetch(json(200, {}));
    expect(() => new VeniceClient({ apiKey: ADMIN, fetch: f.fetch })).toThrow(VeniceError);
    expect(() => new VeniceClient({ apiKey: ADMIN, fetch: f.fetch, dangerouslyAllowBrowser: true })).not.toThrow();
    expect(() => new VeniceClient({ apiKey: `VENICE_INFERENCE_KEY_${'x'.repeat(44)}`, fetch: f.fetch })).not.toThrow();
  });

  it('logs requests, retries and failures without the Authorization header or a created secret', async () => {
    const lines: string[] = [];
    const logger = {
      debug: (m: string, d?: object) => lines.push(`debug ${m} ${JSON.stringify(d)}`),
      info: (m: string, d?: object) => lines.push(`info ${m} ${JSON.stringify(d)}`),
      warn: (m: string, d?: object) => lines.push(`warn ${m} ${JSON.stringify(d)}`),
      error: (m: string, d?: object) => lines.push(`error ${m} ${JSON.stringify(d)}`),
    };
    const f = fakeFetch(
      json(503, { error: 'busy' }, { 'retry-after-ms': '1' }),
      json(200, { success: true, data: CREATED }),
      json(401, { error: 'no' }),
    );
    const c = client(f.fetch, { logger, logLevel: 'debug' });
    await c.apiKeys.create({ apiKeyType: 'INFERENCE', description: 'logged' });
    await c.apiKeys.list().catch(() => undefined);
    const text = lines.join('\n');
    expect(lines.some((l) => l.startsWith('debug request'))).toBe(true);
    expect(lines.some((l) => l.startsWith('info retrying'))).toBe(true);
    expect(lines.some((l) => l.startsWith('info request failed'))).toBe(true);
    expect(text).not.toContain(ADMIN.slice(-44));
    expect(text).not.toContain(CREATED.apiKey.slice(-44));
    expect(text).toContain('[redacted]');
    const quiet: string[] = [];
    const q = client(fakeFetch(json(200, { data: [] })).fetch, {
      logger: { ...logger, debug: (m) => quiet.push(m), info: (m) => quiet.push(m) },
    });
    await q.apiKeys.list();
    expect(quiet).toEqual([]);
  });
});

describe('local validation', () => {
  const never = () => {
    const f = fakeFetch(json(200, { success: true, data: CREATED }));
    return { c: client(f.fetch), f };
  };

  it.each([
    [{ apiKeyType: 'INFERENCE', description: 'x'.repeat(65) }, 'description'],
    [{ apiKeyType: 'INFERENCE', description: '' }, 'description'],
    [{ apiKeyType: 'INFERENCE' }, 'description'],
    [{ apiKeyType: 'SUPER', description: 'd' }, 'apiKeyType'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-02-30' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: '2026-01-01T00:00:00+02:00' }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', expiresAt: null }, 'expiresAt'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: -1 } }, 'consumptionLimit.usd'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { diem: Number.NaN } }, 'consumptionLimit.diem'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: 1e10 } }, 'consumptionLimit.usd'],
    [{ apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { eur: 1 } }, 'consumptionLimit.eur'],
    [{ apiKeyType: 'INFERENCE', description: 'd', limitPeriod: 'WEEK' }, 'limitPeriod'],
    [{ apiKeyType: 'INFERENCE', description: 'd', modelPrivacy: 'NONE' }, 'modelPrivacy'],
  ])('create refuses %j locally (%s)', (params, param) => {
    const { c, f } = never();
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(() => c.apiKeys.create(params as any)).toThrow(VeniceValidationError);
    try {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
      c.apiKeys.create(params as any);
    } catch (e) {
      expect((e as VeniceValidationError).param).toBe(param);
    }
    expect(f.requests).toHaveLength(0);
  });

  it('refuses empty ids and bad updates locally, accepts every valid expiry form', async () => {
    const { c, f } = never();
    expect(() => c.apiKeys.retrieve('')).toThrow(VeniceValidationError);
    expect(() => c.apiKeys.delete('  ')).toThrow(VeniceValidationError);
    expect(() => c.apiKeys.update({ id: '' })).toThrow(VeniceValidationError);
    expect(() => c.apiKeys.update({ id: KEY.id, description: 'y'.repeat(65) })).toThrow(VeniceValidationError);
    expect(() => c.apiKeys.iterAll({ pageSize: 0 })).toThrow(VeniceValidationError);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    await expect(c.apiKeys.mintWeb3Key({ signer: {} as any, apiKeyType: 'INFERENCE' })).rejects.toBeInstanceOf(
      VeniceValidationError,
    );
    expect(f.requests).toHaveLength(0);
    for (const expiresAt of ['', '2027-01-01', '2027-01-01T10:00:00Z', '2027-01-01T10:00:00.123Z']) {
      expect(() => c.apiKeys.create({ apiKeyType: 'ADMIN', description: 'ok', expiresAt })).not.toThrow();
    }
    expect(() => c.apiKeys.update({ id: KEY.id, expiresAt: null })).not.toThrow();
  });
});
