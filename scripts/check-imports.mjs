#!/usr/bin/env node
/**
 * The server's import rules, checked in CI (`npm run check:imports`, part of `npm test`):
 *   - src/domain/** imports only src/domain/** and no adapter package (fastify, kysely, ioredis, pg,
 *     better-sqlite3, undici): the domain owns its ports, adapters implement them;
 *   - src/http/** (the routes and their plumbing) never reaches into src/storage/ or src/counters/,
 *     nor imports a database or Redis driver: it talks to the domain only.
 * Usage: node scripts/check-imports.mjs [serverSrcDir]; exits 1 listing every violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../packages/server/src'));

const ADAPTER_PACKAGES = ['fastify', 'kysely', 'ioredis', 'pg', 'better-sqlite3', 'undici'];
const DRIVER_PACKAGES = ['kysely', 'ioredis', 'pg', 'better-sqlite3'];

const RULES = [
  {
    applies: (file) => file.startsWith(`domain${sep}`),
    check(spec, target) {
      if (target !== undefined) return target.startsWith(`domain${sep}`) ? undefined : `domain imports ${target}`;
      return isPackage(spec, ADAPTER_PACKAGES) ? `domain imports the adapter package ${spec}` : undefined;
    },
  },
  {
    applies: (file) => file.startsWith(`http${sep}`),
    check(spec, target) {
      if (target !== undefined)
        return /^(storage|counters)[\\/]/.test(target) ? `http/ (routes) imports ${target}` : undefined;
      return isPackage(spec, DRIVER_PACKAGES) ? `http/ (routes) imports the driver ${spec}` : undefined;
    },
  },
];

function isPackage(spec, names) {
  return names.some((n) => spec === n || spec.startsWith(`${n}/`) || (n === 'fastify' && spec.startsWith('@fastify/')));
}

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

// Static imports and re-exports (including `import type`), and dynamic `import('…')`.
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

const violations = [];
for (const path of sourceFiles(root)) {
  const file = relative(root, path);
  const rules = RULES.filter((r) => r.applies(file));
  if (rules.length === 0) continue;
  const text = readFileSync(path, 'utf8');
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = spec.startsWith('.') ? relative(root, resolve(dirname(path), spec)) : undefined;
    for (const rule of rules) {
      const problem = rule.check(spec, target);
      if (problem) violations.push(`${file}: ${problem} ('${spec}')`);
    }
  }
}

if (violations.length > 0) {
  process.stderr.write(`Import rules broken:\n${violations.map((v) => `  ${v}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`import rules hold (${relative(process.cwd(), root) || '.'})\n`);
