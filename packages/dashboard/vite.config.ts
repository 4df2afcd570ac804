import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The SDK is bundled from its sources, so the dashboard never waits for (or goes stale against) its dist.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  resolve: { alias: { '@venice-keys/sdk': fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact', development: false } },
  // `npx vite packages/dashboard`: the page calls its own origin, so the dev server forwards the API.
  server: { proxy: { '/api': process.env.VENICE_KEYS_URL ?? 'http://127.0.0.1:8787' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The server's CSP allows nothing inline and no data: URLs: every asset is a file of its own.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
