import { createServer } from 'node:net';
import type { CreatedApiKey } from '@venice-keys/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser } from './support/cli.js';
import { useServer } from './support/fixture.js';

const t = useServer();
let inference: CliUser;

beforeAll(async () => {
  const key = await t.admin.json<CreatedApiKey>(['keys', 'create', '--description', 'inference']);
  inference = new CliUser({ VENICE_API_KEY: key.apiKey, VENICE_BASE_URL: t.server.url });
});
afterAll(() => inference?.dispose());

/** Exactly one line on stderr, nothing on stdout. */
const oneLine = (r: { stdout: string; stderr: string }) => {
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
};

describe('exit codes: one per class of error, with one readable line on stderr', () => {
  it('2 for usage errors: unknown options and commands, bad values, a refused request', async () => {
    const unknown = await t.admin.run(['keys', 'list', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--bogus'");
    expect((await t.admin.run(['nothing-like-this'])).code).toBe(2);
    const period = await t.admin.run(['keys', 'create', '--description', 'x', '--period', 'YEAR']);
    expect(period.code).toBe(2);
    expect(period.stderr).toContain('expected one of EPOCH, MONTH, LIFETIME');
    const long = await t.admin.run(['keys', 'create', '--description', 'x'.repeat(65)]);
    expect(long).toMatchObject({ code: 2, stderr: 'error: Invalid description: at most 64 characters, got 65\n' });
    expect((await t.admin.run(['keys', 'update'])).code).toBe(2);
  });

  it('2 for a conflict: the last ADMIN key cannot be revoked', async () => {
    const { adminKey } = await t.server.newAccount();
    const lonely = new CliUser({ VENICE_API_KEY: adminKey, VENICE_BASE_URL: t.server.url });
    const [own] = await lonely.json<{ id: string }[]>(['keys', 'list']);
    const r = await lonely.run(['keys', 'revoke', own!.id, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: could not revoke');
    expect(r.stderr).toContain('Cannot revoke the last active ADMIN key of this account');
    lonely.dispose();
  });

  it('3 for authentication and permission: no key, a wrong key, an INFERENCE key on an ADMIN command', async () => {
    const none = await new CliUser({ VENICE_BASE_URL: t.server.url }).run(['keys', 'list']);
    expect(none.code).toBe(3);
    oneLine(none);
    const wrong = await t.admin.run(['balance', '--api-key', `VENICE_ADMIN_KEY_${'a'.repeat(44)}`]);
    expect(wrong).toMatchObject({ code: 3, stderr: 'error: Authentication failed (HTTP 401)\n' });
    const notAdmin = await inference.run(['keys', 'list']);
    expect(notAdmin).toMatchObject({ code: 3, stderr: 'error: Admin API key required (HTTP 401)\n' });
  });

  it('4 for not found', async () => {
    const r = await t.admin.run(['keys', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(r).toMatchObject({ code: 4, stderr: 'error: API key not found (HTTP 404)\n' });
    expect((await t.admin.run(['keys', 'update', '00000000-0000-4000-8000-000000000000', '--usd', '1'])).code).toBe(4);
  });

  it('5 for a rate limit, at once, with the wait the server asked for', async () => {
    const { adminKey } = await t.server.newAccount();
    const busy = new CliUser({ VENICE_API_KEY: adminKey, VENICE_BASE_URL: t.server.url });
    // 20 creates per minute per account (the first ADMIN key may count): at least 2 of 22 are refused.
    const results = await Promise.all(
      Array.from({ length: 22 }, (_, i) => busy.run(['keys', 'create', '--description', `burst ${i}`])),
    );
    const limited = results.filter((r) => r.code === 5);
    expect(results.filter((r) => r.code !== 0 && r.code !== 5)).toEqual([]);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    for (const r of limited) {
      oneLine(r);
      expect(r.stderr).toMatch(/^error: .+ \(HTTP 429, retry in \d+ s\)\n$/);
    }
    busy.dispose();
  }, 120_000); // 22 processes at once: slow on a small machine running other suites, never timed

  it('1 for a server error, with its request id', async () => {
    // web3 is off by default: the server answers 503 (after the SDK's retries).
    const r = await t.admin.run(['web3', 'mint'], { env: { VENICE_WALLET_PRIVATE_KEY: `0x${'1'.repeat(64)}` } });
    expect(r.code).toBe(1);
    oneLine(r);
    expect(r.stderr).toMatch(
      /^error: Web3 key generation is disabled on this server \(HTTP 503, request id [\w-]+\)\n$/,
    );
  });

  it('1 for a server that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await t.admin.run(['balance', '--base-url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: could not reach http://127.0.0.1:${port} (ECONNREFUSED)\n`);
  });
});

const COMMANDS = [
  [],
  ['login'],
  ['logout'],
  ['whoami'],
  ['keys'],
  ['keys', 'list'],
  ['keys', 'create'],
  ['keys', 'show'],
  ['keys', 'update'],
  ['keys', 'revoke'],
  ['keys', 'rotate'],
  ['limits'],
  ['limits', 'log'],
  ['balance'],
  ['usage'],
  ['usage', 'export'],
  ['web3'],
  ['web3', 'mint'],
];

describe('help and output style', () => {
  it('--help on every command, with examples and the global options', async () => {
    const runs = await Promise.all(COMMANDS.map((c) => t.admin.run([...c, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code, COMMANDS[i]!.join(' ')).toBe(0);
      expect(r.stdout, COMMANDS[i]!.join(' ')).toMatch(/\nExamples:\n {2}\$ .*venice-keys /);
      expect(r.stdout).toContain('--json');
    });
  }, 120_000);

  it('colour only on a terminal or when forced, never with NO_COLOR or --no-color', async () => {
    const ESC = '\x1b[';
    expect((await t.admin.run(['keys', 'list'])).stdout).not.toContain(ESC);
    expect((await t.admin.run(['keys', 'list'], { env: { FORCE_COLOR: '1' } })).stdout).toContain(`${ESC}1mID`);
    expect((await t.admin.run(['keys', 'list'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toContain(
      ESC,
    );
    expect((await t.admin.run(['keys', 'list', '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout).not.toContain(
      ESC,
    );
    const json = await t.admin.run(['keys', 'list', '--json'], { env: { FORCE_COLOR: '1' } });
    expect(json.stdout).not.toContain(ESC);
  });
});
