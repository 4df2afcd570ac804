import { beforeAll, describe, expect, it } from 'vitest';
import { useServer } from './support/fixture.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what this test looks for.
const ANSI = /\x1b\[[0-9;]*m/;
const plain = (text: string) => text.replace(new RegExp(ANSI.source, 'g'), '');

const t = useServer();
beforeAll(async () => {
  await t.admin.json(['keys', 'create', '--description', 'a description long enough to be cut on a narrow terminal']);
});

describe('on a terminal', () => {
  it('tables fit its width and headers are bold', async () => {
    const r = await t.admin.runInTerminal(['keys', 'list'], { columns: 72 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\x1b[1mID');
    const lines = plain(r.stdout).trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(72);
    expect(lines[0]).toMatch(/^ID\s+DESCRIPTION/);
    expect(lines.some((l) => l.includes('…'))).toBe(true);
    const wide = await t.admin.runInTerminal(['keys', 'list'], { columns: 250 });
    expect(plain(wide.stdout)).toMatch(/LAST USED\s+USAGE/);
  });

  it('NO_COLOR and --no-color turn colour off there too; errors are red otherwise', async () => {
    expect(
      (await t.admin.runInTerminal(['keys', 'list'], { columns: 200, env: { NO_COLOR: '1' } })).stdout,
    ).not.toMatch(ANSI);
    expect((await t.admin.runInTerminal(['keys', 'list', '--no-color'], { columns: 200 })).stdout).not.toMatch(ANSI);
    const error = await t.admin.runInTerminal(['keys', 'show', 'nope'], { columns: 200 });
    expect(error.code).toBe(4);
    expect(error.stdout).toBe('\x1b[31merror:\x1b[39m API key not found (HTTP 404)\n');
  });
});
