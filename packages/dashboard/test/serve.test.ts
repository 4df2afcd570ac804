import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, dashboard } from '../../server/src/http/dashboard.js';
import { registerPlumbing } from '../../server/src/http/plumbing.js';

/** The server's static plugin on its own, over a dist folder the test writes (and one that does not exist). */
async function appServing(dir: string): Promise<FastifyInstance> {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  registerPlumbing(app);
  await app.register(dashboard, { dir });
  await app.ready();
  return app;
}

describe('serving the built dashboard', () => {
  let base: string;
  let dir: string;
  let app: FastifyInstance;
  const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'venice-keys-dist-'));
    dir = join(base, 'dist');
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(
      join(dir, 'index.html'),
      '<!doctype html><script type="module" src="/dashboard/assets/app-1a2b3c.js"></script>',
    );
    await writeFile(join(dir, 'assets', 'app-1a2b3c.js'), script);
    await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(base, 'outside.txt'), 'not part of the dashboard');
    app = await appServing(dir);
  });
  afterAll(async () => {
    await app?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('answers index.html at /dashboard/ with the CSP, no caching and the request id', async () => {
    const res = await app.inject({ url: '/dashboard/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': DASHBOARD_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.body).toContain('app-1a2b3c.js');
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|\*|data:|https?:/);
  });

  it('redirects /dashboard to /dashboard/ so that the page and its base agree', async () => {
    const res = await app.inject({ url: '/dashboard?x=1' });
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe('/dashboard/');
  });

  it('serves hashed assets as immutable for a year, gzipped when asked, and revalidates by ETag', async () => {
    const plain = await app.inject({ url: '/dashboard/assets/app-1a2b3c.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.body).toBe(script);
    const gzipped = await app.inject({
      url: '/dashboard/assets/app-1a2b3c.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(script);
    const again = await app.inject({
      url: '/dashboard/assets/app-1a2b3c.js',
      headers: { 'if-none-match': String(plain.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    const icon = await app.inject({ url: '/dashboard/favicon.svg' });
    expect(icon.headers).toMatchObject({ 'content-type': 'image/svg+xml', 'cache-control': 'no-cache' });
  });

  it('answers 404 JSON for unknown files and for any path that tries to leave the folder', async () => {
    for (const url of [
      '/dashboard/assets/missing.js',
      '/dashboard/../outside.txt',
      '/dashboard/%2e%2e/outside.txt',
      '/dashboard/assets/..%2f..%2foutside.txt',
      '/dashboard/.hidden',
      '/dashboard/assets/deep/er.js',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toEqual({ error: 'Not found' });
    }
  });

  it('answers 503 JSON naming the build command when the dashboard is not built, never a 500', async () => {
    const unbuilt = await appServing(join(dir, 'no-such-dist'));
    try {
      const res = await unbuilt.inject({ url: '/dashboard/' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        error: 'The dashboard has not been built: run `npm run build -w @venice-keys/dashboard` and reload',
      });
      expect((await unbuilt.inject({ url: '/dashboard/assets/app.js' })).statusCode).toBe(404);
    } finally {
      await unbuilt.close();
    }
  });
});
