#!/usr/bin/env node
// Compiles src/ to dist/ with tsc. `--if-stale` builds only when dist is missing or older than a source
// file, so `npm start` always runs current JavaScript without paying for a build on every start.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
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
const lock = join(root, '.build.lock');

function fresh() {
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  return newestMtime(src) <= built && statSync(config).mtimeMs <= built;
}

// Test files started together may all ask for a build: one builds, the others wait for it and re-check.
for (;;) {
  try {
    closeSync(openSync(lock, 'wx'));
    break;
  } catch {
    const stale = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 120_000;
    if (stale) rmSync(lock, { force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}
process.on('exit', () => rmSync(lock, { force: true }));
if (process.argv.includes('--if-stale') && fresh()) process.exit(0);

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

// A clean build into a directory of its own, swapped in at the end: a module deleted from src/ does
// not live on in dist/, and processes started meanwhile from dist/ never see it half written.
const next = `${dist}.next-${process.pid}`;
const startedAt = new Date();
const result = spawnSync(process.execPath, [tsc, '-p', config, '--outDir', next], { stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}
// Stamped with the time the build started: a source saved while tsc ran is newer, so the next start rebuilds.
writeFileSync(join(next, '.built'), `${startedAt.toISOString()}\n`);
utimesSync(join(next, '.built'), startedAt, startedAt);
const old = `${dist}.old-${process.pid}`;
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
