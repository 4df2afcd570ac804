import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { CreatedApiKey } from '@venice-keys/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliUser } from './support/cli.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let adminKey: string;
let api: string;
const users: CliUser[] = [];
const user = (env: Record<string, string> = {}) => {
  const u = new CliUser(env);
  users.push(u);
  return u;
};

/** A host that must never see a request: it records every one that arrives, with its Authorization. */
async function bystander(answer?: (res: import('node:http').ServerResponse) => void) {
  const seen: (string | undefined)[] = [];
  const http: Server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (answer) answer(res);
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => http.close(() => resolve())) };
}

beforeAll(async () => {
  assertBuilt();
  server = await startServer();
  ({ adminKey } = await server.newAccount({ credit: '42.5' }));
  api = `${server.url}/api/v1`;
});
afterEach(() => {
  for (const u of users.splice(0)) u.dispose();
});
afterAll(async () => {
  await server?.stop();
});

describe('login', () => {
  it('asks for the base URL and the key on stdin, checks them, saves them with mode 0600', async () => {
    const u = user();
    const r = await u.run(['login'], { input: `${server.url}\n${adminKey}\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Base URL [https://api.venice.ai/api/v1]: ');
    expect(r.stderr).toContain('API key: ');
    expect(r.stdout).toContain(`Logged in to ${api} with an ADMIN key (…${adminKey.slice(-6)}) as profile "default".`);
    expect(r.stdout + r.stderr).not.toContain(adminKey);
    expect(statSync(u.configFile).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(u.configFile)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(u.configFile, 'utf8'))).toEqual({
      profiles: { default: { baseURL: api, apiKey: adminKey } },
    });
  });

  it('tightens a config file that others could read, and keeps the other profiles', async () => {
    const u = user();
    mkdirSync(dirname(u.configFile), { recursive: true });
    const other = { baseURL: 'https://api.venice.ai/api/v1', apiKey: 'VENICE_ADMIN_KEY_other' };
    writeFileSync(u.configFile, JSON.stringify({ profiles: { prod: other } }));
    chmodSync(u.configFile, 0o644);
    const warned = await u.run(['whoami', '--profile', 'prod', '--base-url', 'http://127.0.0.1:1']);
    expect(warned.stderr).toContain(`warning: ${u.configFile} can be read by others`);
    const r = await u.json<Record<string, string>>(['login', '--profile', 'local', '--base-url', server.url], {
      input: `${adminKey}\n`,
    });
    expect(r).toEqual({ profile: 'local', baseURL: api, apiKeyType: 'ADMIN', configFile: u.configFile });
    expect(statSync(u.configFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(u.configFile, 'utf8')).profiles).toEqual({
      prod: other,
      local: { baseURL: api, apiKey: adminKey },
    });
  });

  it('a wrong key is an authentication error (exit 3) and nothing is saved', async () => {
    const u = user();
    const r = await u.run(['login', '--base-url', server.url], { input: `VENICE_ADMIN_KEY_${'x'.repeat(44)}\n` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: Authentication failed \(HTTP 401\)\n$/);
    expect(() => statSync(u.configFile)).toThrow();
    const empty = await u.run(['login', '--base-url', server.url]);
    expect(empty).toMatchObject({ code: 2 });
    expect(empty.stderr).toContain('error: no API key given');
  });
});

describe('whoami and logout', () => {
  it('says which server, which key type and the balance, for ADMIN and INFERENCE profiles', async () => {
    const u = user();
    await u.run(['login', '--base-url', server.url, '--api-key', adminKey]);
    const r = await u.run(['whoami']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Server\\s+${api}`));
    expect(r.stdout).toContain(`ADMIN …${adminKey.slice(-6)}, from profile "default"`);
    expect(r.stdout).toMatch(/Account balance\s+42\.50 USD/);

    const inference = await u.json<CreatedApiKey>(['keys', 'create', '--description', 'reader']);
    await u.run(['login', '--profile', 'reader', '--base-url', server.url], { input: `${inference.apiKey}\n` });
    const who = await u.json<Record<string, unknown>>(['whoami', '--profile', 'reader']);
    expect(who).toMatchObject({
      baseURL: api,
      profile: 'reader',
      apiKeyType: 'INFERENCE',
      last6Chars: inference.apiKey.slice(-6),
      balance: null,
      accessPermitted: true,
      spendable: { USD: 42.5 },
    });
    const human = await u.run(['whoami', '--profile', 'reader']);
    expect(human.stdout).not.toContain('Account balance');
    expect(human.stdout).toMatch(/Spendable by key\s+42\.50 USD/);
  });

  it('logout forgets a profile; then there is no key (exit 3)', async () => {
    const u = user();
    await u.run(['login', '--base-url', server.url, '--api-key', adminKey]);
    await u.run(['login', '--profile', 'b', '--base-url', server.url, '--api-key', adminKey]);
    expect(await u.json(['logout'])).toEqual({ removed: ['default'] });
    const gone = await u.run(['whoami']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain('no API key: run `venice-keys login`');
    expect((await u.run(['logout'])).stdout).toContain('nothing to do');
    expect((await u.run(['whoami', '--profile', 'b'])).code).toBe(0);
    expect((await u.run(['logout', '--all'])).stdout).toContain('removed "b"');
    expect(JSON.parse(readFileSync(u.configFile, 'utf8'))).toEqual({ profiles: {} });
    expect((await u.run(['whoami', '--profile', 'b'])).stderr).toContain('no profile "b"');
  });

  it('VENICE_API_KEY and VENICE_BASE_URL work without any login; --api-key wins over both', async () => {
    const u = user({ VENICE_API_KEY: adminKey, VENICE_BASE_URL: server.url });
    expect((await u.json<{ apiKeyType: string }>(['whoami'])).apiKeyType).toBe('ADMIN');
    const wrong = await u.run(['whoami', '--api-key', 'VENICE_ADMIN_KEY_nope']);
    expect(wrong.code).toBe(3);
  });
});

describe('a key goes to its own server only', () => {
  it('refuses to send a saved key to another --base-url or VENICE_BASE_URL', async () => {
    const other = await bystander();
    try {
      const u = user();
      await u.run(['login', '--base-url', server.url, '--api-key', adminKey]);
      const r = await u.run(['keys', 'list', '--base-url', other.url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`the key of profile "default" is for ${api}; not sending it to ${other.url}`);
      const env = await u.run(['keys', 'list'], { env: { VENICE_BASE_URL: other.url } });
      expect(env.code).toBe(2);
      expect(other.seen).toEqual([]);
      // The same server written differently is the same server.
      expect((await u.run(['keys', 'list', '--base-url', `${api}/`])).code).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('never follows a redirect, which could carry the key elsewhere', async () => {
    const target = await bystander();
    const redirector = await bystander((res) =>
      res.writeHead(307, { location: `${target.url}/api/v1/api_keys` }).end(),
    );
    try {
      const r = await user().run(['keys', 'list', '--base-url', redirector.url, '--api-key', adminKey]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: .*HTTP 307/);
      expect(redirector.seen).toEqual([`Bearer ${adminKey}`]);
      expect(target.seen).toEqual([]);
    } finally {
      await redirector.close();
      await target.close();
    }
  });
});
