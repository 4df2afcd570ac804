import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const built = existsSync(`${dist}index.js`) && existsSync(`${dist}index.cjs`);

/** The published builds: `npm test` builds them first (`npm run build`). */
describe.skipIf(!built && !process.env.CI)('built package', () => {
  it('exists (npm test builds it before running)', () => {
    expect(built).toBe(true);
    for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'])
      expect(existsSync(`${dist}${f}`), f).toBe(true);
  });

  it('imports from ESM', async () => {
    const esm = await import(`${dist}index.js`);
    const c = new esm.VeniceClient({ apiKey: 'k', baseURL: 'http://h', fetch: async () => new Response('{}') });
    expect(c.baseURL).toBe('http://h/api/v1');
    expect(new esm.NotFoundError(404, {}, new Headers())).toBeInstanceOf(esm.APIError);
    expect(esm.default).toBe(esm.VeniceClient);
  });

  it('requires from CommonJS', () => {
    const require = createRequire(import.meta.url);
    const cjs = require(`${dist}index.cjs`);
    expect(typeof cjs.VeniceClient).toBe('function');
    expect(new cjs.RateLimitError(429, {}, new Headers({ 'retry-after': '2' })).retryAfterMs).toBe(2000);
    expect(new cjs.APITimeoutError()).toBeInstanceOf(cjs.APIConnectionError);
  });
});
