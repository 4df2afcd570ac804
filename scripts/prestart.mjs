#!/usr/bin/env node
// `npm start` on a fresh clone: builds what the server serves or an operator runs next to it (the SDK,
// which the CLI imports from its dist; the CLI; the dashboard) when its dist is missing or older than
// its sources, then the server itself (its own script, which also guards against concurrent builds).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = (name) => join(root, 'packages', name);

/** Each package, the sources its build reads (the dashboard bundles the SDK's sources), and its tool. */
const packages = [
  { name: 'sdk', inputs: ['src', 'package.json', 'tsup.config.ts'], tool: 'tsup' },
  { name: 'cli', inputs: ['src', 'package.json', 'tsup.config.ts'], tool: 'tsup' },
  {
    name: 'dashboard',
    inputs: ['src', 'public', 'index.html', 'package.json', 'vite.config.ts', '../sdk/src'],
    tool: 'vite',
  },
];

function mtimes(path) {
  if (!existsSync(path)) return [];
  const stat = statSync(path);
  if (!stat.isDirectory()) return [stat.mtimeMs];
  return readdirSync(path).flatMap((entry) => mtimes(join(path, entry)));
}

function stale({ name, inputs }) {
  const built = mtimes(join(pkg(name), 'dist'));
  if (built.length === 0) return true;
  const sources = inputs.flatMap((input) => mtimes(join(pkg(name), input)));
  return Math.max(...sources) > Math.min(...built);
}

const toolInstalled = (tool) => existsSync(join(root, 'node_modules', '.bin', tool));

for (const p of packages) {
  if (!stale(p)) continue;
  if (!toolInstalled(p.tool)) {
    // `npm ci --omit=dev`: the API still serves; say what is missing instead of failing the start.
    process.stderr.write(`warning: packages/${p.name} is not built and ${p.tool} is not installed\n`);
    continue;
  }
  process.stderr.write(`building packages/${p.name}\n`);
  const run = spawnSync('npm', ['run', 'build', '--silent', '-w', `@venice-keys/${p.name}`], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

const server = spawnSync(process.execPath, [join(pkg('server'), 'scripts', 'build.mjs'), '--if-stale'], {
  stdio: 'inherit',
});
process.exit(server.status ?? 1);
