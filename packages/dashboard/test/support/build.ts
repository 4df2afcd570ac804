import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../vite.config.ts', import.meta.url));

/** The production build, where the server looks for it (packages/dashboard/dist). */
export async function buildDashboard(): Promise<void> {
  await build({ configFile: CONFIG, mode: 'production', logLevel: 'warn' });
}

/** What a browser downloads: every JS and CSS file of the build, raw and gzipped. */
export async function bundleSizes(): Promise<{ file: string; bytes: number; gzipped: number }[]> {
  const assets = join(DIST, 'assets');
  const files = (await readdir(assets)).filter((f) => /\.(js|css)$/.test(f));
  return Promise.all(
    files.map(async (file) => {
      const body = await readFile(join(assets, file));
      return { file, bytes: body.length, gzipped: gzipSync(body, { level: 9 }).length };
    }),
  );
}
