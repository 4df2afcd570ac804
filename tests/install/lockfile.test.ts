import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'venice-keys-lock-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The manifests a clean install reads, copied alone so the check never touches this checkout's node_modules. */
function copyManifests(to: string): void {
  for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(repo, file), join(to, file));
  for (const pkg of readdirSync(join(repo, 'packages'))) {
    const manifest = join(repo, 'packages', pkg, 'package.json');
    if (!existsSync(manifest)) continue;
    mkdirSync(join(to, 'packages', pkg), { recursive: true });
    copyFileSync(manifest, join(to, 'packages', pkg, 'package.json'));
  }
}

describe('the committed lockfile', () => {
  it('is accepted by `npm ci --dry-run`, with no engine warning on Node 20', () => {
    copyManifests(scratch);
    const run = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: scratch,
      encoding: 'utf8',
      env: { ...process.env, npm_config_loglevel: 'warn' },
      timeout: 120_000,
    });
    expect(run.stderr).not.toMatch(/EBADENGINE|not in sync|Missing: /);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/added \d+ packages/);
  });
});
