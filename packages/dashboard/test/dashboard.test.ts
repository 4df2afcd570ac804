import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { VeniceClient } from '@venice-keys/sdk';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamHandle } from '../../../tests/support/upstream/server.js';
import { spawnUpstream } from '../../../tests/support/upstream/spawn.js';
import { axeViolations } from './support/axe.js';
import { type Browser, openBrowser } from './support/browser.js';
import { buildDashboard, bundleSizes } from './support/build.js';
import { dashboardConfig } from './support/config.js';
import { type RunningServer, startServer } from './support/server.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const BUNDLE_BUDGET_GZIP = 150 * 1024;

let upstream: UpstreamHandle;
let server: RunningServer;
let browser: Browser;
let page: Page;
let venice: VeniceClient;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  await buildDashboard();
  upstream = await spawnUpstream();
  server = await startServer(dashboardConfig(upstream.url), { VENICE_UPSTREAM_API_KEY: upstream.apiKey });
  venice = new VeniceClient({ apiKey: server.adminKey, baseURL: server.origin, maxRetries: 0 });
  browser = await openBrowser(server.origin);
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await upstream?.close();
});

const dashboardUrl = () => `${server.origin}/dashboard/`;

async function signIn(secret: string): Promise<void> {
  await page.goto(dashboardUrl());
  await page.getByLabel('ADMIN key').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
}

/** One chat completion through the gateway with `secret`; its status. */
async function chat(secret: string, model: string): Promise<number> {
  const response = await fetch(`${server.origin}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello to the dashboard test.' }] }),
  });
  await response.body?.cancel();
  return response.status;
}

async function expectAccessible(name: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe violations on the ${name} page`).toEqual([]);
}

/** At 375 px nothing may scroll sideways. */
async function expectNoHorizontalScroll(name: string): Promise<void> {
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: innerWidth }));
  expect(widths.scroll, `horizontal scroll on the ${name} page`).toBeLessThanOrEqual(widths.view);
}

describe('the built dashboard', () => {
  it(`stays under ${BUNDLE_BUDGET_GZIP / 1024} KB gzipped`, async () => {
    const sizes = await bundleSizes();
    const total = sizes.reduce((sum, s) => sum + s.gzipped, 0);
    for (const s of sizes) console.log(`dashboard bundle: ${s.file} ${s.bytes} B, ${s.gzipped} B gzipped`);
    console.log(`dashboard bundle: total ${(total / 1024).toFixed(1)} KB gzipped`);
    expect(sizes.some((s) => s.file.endsWith('.js'))).toBe(true);
    expect(total).toBeLessThan(BUNDLE_BUDGET_GZIP);
  });

  it('is served with a strict CSP, immutable hashed assets and a revalidated index.html', async () => {
    const index = await fetch(dashboardUrl());
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=/);
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.origin}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    const missing = await fetch(`${server.origin}/dashboard/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'Not found' });
  });
});

describe('the dashboard in Chromium against the real server', () => {
  it('refuses a wrong key at sign-in with the server’s words', async () => {
    await page.goto(dashboardUrl());
    await expectAccessible('sign-in');
    await page.getByLabel('ADMIN key').fill('VENICE_ADMIN_KEY_notarealkeynotarealkeynotarealkeynotareal1234');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Authentication failed');
  });

  it('signs in with the ADMIN key and keeps it for the tab only', async () => {
    await signIn(server.adminKey);
    const storage = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: Object.keys(localStorage).length,
      cookie: document.cookie,
    }));
    expect(storage).toEqual({ session: [server.adminKey], local: 0, cookie: '' });
  });
});
