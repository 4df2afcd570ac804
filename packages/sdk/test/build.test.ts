import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const built = existsSync(`${dist}index.js`) && existsSync(`${dist}index.cjs`);

const STATUS_ERRORS: [string, number][] = [
  ['BadRequestError', 400],
  ['AuthenticationError', 401],
  ['PaymentRequiredError', 402],
  ['PermissionDeniedError', 403],
  ['NotFoundError', 404],
  ['ConflictError', 409],
  ['UnprocessableEntityError', 422],
  ['RateLimitError', 429],
  ['InternalServerError', 500],
];

type Module = Record<string, new (...args: never[]) => unknown> & { default?: unknown };

/** What both builds must offer: the client, every error class, and a working class hierarchy within the build. */
async function checkBuild(mod: Module) {
  for (const name of ['VeniceClient', 'APIPromise', 'VeniceError', 'APIError', 'VeniceValidationError']) {
    expect(typeof mod[name], name).toBe('function');
  }
  expect(mod.default).toBe(mod.VeniceClient);
  const construct = (name: string, ...args: unknown[]) => new (mod[name] as new (...a: unknown[]) => object)(...args);
  for (const [name, status] of STATUS_ERRORS) {
    const e = construct(name, status, { error: 'x' }, new Headers({ 'x-request-id': 'r' }));
    expect(e, name).toBeInstanceOf(mod[name]!);
    expect(e, name).toBeInstanceOf(mod.APIError!);
    expect(e, name).toBeInstanceOf(mod.VeniceError!);
    expect(e, name).toMatchObject({ name, status, requestID: 'r', message: `${status} x` });
  }
  expect(construct('APITimeoutError')).toBeInstanceOf(mod.APIConnectionError!);
  expect(construct('APIUserAbortError')).toBeInstanceOf(mod.VeniceError!);
  expect(construct('VeniceValidationError', 'm', 'p')).not.toBeInstanceOf(mod.APIError!);

  // The build works end to end: a request, its error, and the error's class from the same build.
  const fetch = async () =>
    new Response(JSON.stringify({ error: 'API key not found' }), {
      status: 404,
      headers: { 'content-type': 'application/json' },
    });
  const client = construct('VeniceClient', { apiKey: 'k', baseURL: 'http://h', fetch, maxRetries: 0 }) as {
    baseURL: string;
    apiKeys: { retrieve(id: string): Promise<unknown> };
  };
  expect(client.baseURL).toBe('http://h/api/v1');
  const e = await client.apiKeys.retrieve('id').catch((x: unknown) => x);
  expect(e).toBeInstanceOf(mod.NotFoundError!);
  expect((e as Error).message).toBe('404 API key not found');
}

/** The published builds: the root `npm test` builds them first (`npm run build`). */
describe.skipIf(!built && !process.env.CI)('built package', () => {
  it('has the files package.json exports', () => {
    for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'])
      expect(existsSync(`${dist}${f}`), f).toBe(true);
  });

  it('is what package.json points at, for import and for require', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const root = pkg.exports['.'];
    const targets = [
      root.import.types,
      root.import.default,
      root.require.types,
      root.require.default,
      pkg.main,
      pkg.types,
    ];
    expect(targets).toEqual([
      './dist/index.d.ts',
      './dist/index.js',
      './dist/index.d.cts',
      './dist/index.cjs',
      './dist/index.cjs',
      './dist/index.d.ts',
    ]);
    expect(createRequire(import.meta.url).resolve('@venice-keys/sdk')).toBe(`${dist}index.cjs`);
  });

  it('imports from ESM (dist/index.js)', async () => {
    await checkBuild(await import(`${dist}index.js`));
  });

  it('requires from CommonJS (dist/index.cjs)', async () => {
    const require = createRequire(import.meta.url);
    await checkBuild(require(`${dist}index.cjs`));
  });
});
