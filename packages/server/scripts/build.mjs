#!/usr/bin/env node
// Compiles src/ to dist/ with tsc. `--if-stale` builds only when dist is missing or older than a source
// file, so `npm start` always runs current JavaScript without paying for a build on every start.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const config = join(root, 'tsconfig.build.json');
if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (newestMtime(src) <= built && statSync(config).mtimeMs <= built) process.exit(0);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write(
    existsSync(stamp)
      ? 'warning: src/ is newer than dist/, but typescript is not installed: running the existing build\n'
      : 'error: packages/server/dist is missing and typescript is not installed (npm ci without --omit=dev builds it)\n',
  );
  process.exit(existsSync(stamp) ? 0 : 1);
}

// A clean build: a module deleted from src/ must not live on in dist/.
rmSync(dist, { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
