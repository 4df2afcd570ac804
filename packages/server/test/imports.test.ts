import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/check-imports.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function check(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'vk-imports-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
}

describe('the import rules (scripts/check-imports.mjs)', () => {
  it('hold for the server as it is', () => {
    const result = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fail when the domain imports an adapter, config or a driver package', () => {
    const result = check({
      'domain/keys.ts': "import type { Store } from '../storage/types.js';\nimport { a } from './ports/keys.js';\n",
      'domain/rates.ts': "import type { CatalogModel } from '../config.js';\n",
      'domain/lazy.ts': "const m = await import('../counters/redis.js');\n",
      'domain/sql.ts': "import { sql } from 'kysely';\nimport type { FastifyInstance } from 'fastify';\n",
      'domain/ok.ts': "import { randomUUID } from 'node:crypto';\nimport { z } from './money.js';\n",
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n').slice(1);
    expect(lines.map((l) => l.trim().split(':')[0]).sort()).toEqual([
      'domain/keys.ts',
      'domain/lazy.ts',
      'domain/rates.ts',
      'domain/sql.ts',
      'domain/sql.ts',
    ]);
  });

  it('fail when a route imports storage/ or counters/', () => {
    const result = check({
      'http/admin/routes/web3.ts': "import type { Store } from '../../../storage/types.js';\n",
      'http/admin/routes/keys.ts': "export { MemoryLimitCounters } from '../../../counters/memory.js';\n",
      'http/present.ts': "import type { KeyUsage } from '../domain/keys.js';\n",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('http/admin/routes/web3.ts: http/ (routes) imports storage/types.js');
    expect(result.stderr).toContain('http/admin/routes/keys.ts: http/ (routes) imports counters/memory.js');
    expect(result.stderr).not.toContain('present.ts');
  });
});
