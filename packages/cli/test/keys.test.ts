import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKey, CreatedApiKey } from '@venice-keys/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliUser } from './support/cli.js';
import { useServer } from './support/fixture.js';

const t = useServer();

const SECRET = /VENICE_(ADMIN|INFERENCE)_KEY_[A-Za-z0-9]{44}/g;

describe('keys create', () => {
  it('prints the secret once with a warning, and every setting reaches the server', async () => {
    const r = await t.admin.run([
      'keys',
      'create',
      '--description',
      'backend prod',
      '--usd',
      '50',
      '--diem',
      '2.5',
      '--period',
      'month',
      '--privacy',
      'PRIVATE_ONLY',
      '--expires',
      '2099-01-01',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.match(SECRET)).toHaveLength(1);
    expect(r.stdout).toContain('shown only this once');
    const id = /key ([0-9a-f-]{36})/.exec(r.stdout)![1]!;
    const key = await t.admin.json<ApiKey>(['keys', 'show', id]);
    expect(key).toMatchObject({
      apiKeyType: 'INFERENCE',
      description: 'backend prod',
      consumptionLimits: { usd: 50, diem: 2.5 },
      limitPeriod: 'MONTH',
      modelPrivacy: 'PRIVATE_ONLY',
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
  });

  it('--json gives the wire CreatedApiKey; local date-times become UTC instants', async () => {
    const created = await t.admin.json<CreatedApiKey>(
      ['keys', 'create', '--type', 'ADMIN', '--description', 'ops', '--expires', '2099-06-01 09:30'],
      { env: { TZ: 'Asia/Kolkata' } },
    );
    expect(created).toMatchObject({ apiKeyType: 'ADMIN', description: 'ops', expiresAt: '2099-06-01T04:00:00.000Z' });
    expect(created.apiKey).toMatch(/^VENICE_ADMIN_KEY_/);
    expect(Object.keys(created).sort()).toEqual(
      [
        'apiKey',
        'apiKeyType',
        'consumptionLimit',
        'description',
        'expiresAt',
        'id',
        'limitPeriod',
        'modelPrivacy',
      ].sort(),
    );
  });

  it('--secret-file writes the secret with mode 0600 and never overwrites a file', async () => {
    const file = join(t.admin.configHome, 'new.key');
    const r = await t.admin.run(['keys', 'create', '--description', 'to file', '--secret-file', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(SECRET);
    expect(readFileSync(file, 'utf8')).toMatch(/^VENICE_INFERENCE_KEY_[A-Za-z0-9]{44}\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const before = (await t.admin.json<ApiKey[]>(['keys', 'list'])).length;
    writeFileSync(join(t.admin.configHome, 'taken.key'), 'keep me');
    const again = await t.admin.run([
      'keys',
      'create',
      '--description',
      'x',
      '--secret-file',
      join(t.admin.configHome, 'taken.key'),
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: .*already exists; not overwriting it\n$/);
    expect(readFileSync(join(t.admin.configHome, 'taken.key'), 'utf8')).toBe('keep me');
    expect(await t.admin.json<ApiKey[]>(['keys', 'list'])).toHaveLength(before);

    const json = await t.admin.json<Record<string, unknown>>([
      'keys',
      'create',
      '--description',
      'to file json',
      '--secret-file',
      join(t.admin.configHome, 'json.key'),
    ]);
    expect(json).not.toHaveProperty('apiKey');
    expect(json).toMatchObject({ description: 'to file json', secretFile: join(t.admin.configHome, 'json.key') });
  });

  it('refuses bad settings before sending anything, and the server refuses a past expiry (exit 2)', async () => {
    const bad = await t.admin.run(['keys', 'create', '--description', 'x', '--usd', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--usd <amount>' argument 'lots' is invalid");
    const noDescription = await t.admin.run(['keys', 'create']);
    expect(noDescription).toMatchObject({ code: 2, stderr: 'error: --description is required\n' });
    const past = await t.admin.run(['keys', 'create', '--description', 'x', '--expires', '2020-01-01']);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/^error: .*\(HTTP 400\)\n$/);
  });
});

describe('keys list, show, update', () => {
  let id: string;
  beforeAll(async () => {
    ({ id } = await t.admin.json<CreatedApiKey>([
      'keys',
      'create',
      '--description',
      'listed',
      '--usd',
      '4.2',
      '--period',
      'MONTH',
    ]));
  });

  it('lists as a table with usage against the limit, and as the wire array', async () => {
    const r = await t.admin.run(['keys', 'list'], { env: { COLUMNS: '300' } });
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual([
      'ID',
      'DESCRIPTION',
      'TYPE',
      'LAST6',
      'CREATED',
      'EXPIRES',
      'LAST USED',
      'USAGE',
    ]);
    const row = rows.find((l) => l.startsWith(id))!;
    expect(row).toContain('0.00 / 4.20 USD (MONTH)');
    expect(row).toMatch(/ {2}never {2}/);
    expect(r.stdout).not.toMatch(SECRET);
    const keys = await t.admin.json<ApiKey[]>(['keys', 'list']);
    expect(keys.find((k) => k.id === id)).toMatchObject({
      description: 'listed',
      currentPeriodUsage: { usd: '0.0000' },
    });
  });

  it('fits the terminal width: columns are left out and descriptions cut', async () => {
    await t.admin.json(['keys', 'create', '--description', 'a rather long description of forty chars']);
    const r = await t.admin.run(['keys', 'list'], { env: { COLUMNS: '80' } });
    const lines = r.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toContain('ID');
    expect(lines[0]).not.toContain('LAST USED');
    expect(r.stdout).toMatch(/[0-9a-f-]{36}/);
  });

  it('pages: --limit shows one page and says so; --all walks every page with the iterator', async () => {
    const all = await t.admin.json<ApiKey[]>(['keys', 'list']);
    expect(all.length).toBeGreaterThan(4);
    const page = await t.admin.run(['keys', 'list', '--limit', '2', '--page', '2']);
    expect(page.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(page.stderr).toContain('--page 3 for more');
    expect(await t.admin.json<ApiKey[]>(['keys', 'list', '--limit', '2', '--page', '2'])).toEqual(all.slice(2, 4));
    expect((await t.admin.json<ApiKey[]>(['keys', 'list', '--all', '--limit', '2'])).map((k) => k.id)).toEqual(
      all.map((k) => k.id),
    );
  });

  it('shows one key, dates in local time', async () => {
    const key = await t.admin.json<ApiKey>(['keys', 'show', id]);
    const r = await t.admin.run(['keys', 'show', id], { env: { TZ: 'America/New_York' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`ID\\s+${id}`));
    expect(r.stdout).toContain(`Secret ends in  ${key.last6Chars}`);
    const local = new Date(key.createdAt!).toLocaleString('sv-SE', { timeZone: 'America/New_York' }).slice(0, 16);
    expect(r.stdout).toContain(`Created         ${local}`);
    expect(r.stdout).toContain('Period usage    0.00 / 4.20 USD (MONTH)');
  });

  it('updates any field and removes settings with --no-…', async () => {
    const updated = await t.admin.json<ApiKey>([
      'keys',
      'update',
      id,
      '--description',
      'renamed',
      '--expires',
      '2098-02-03T04:05:06Z',
      '--diem',
      '7',
      '--privacy',
      'private_text',
    ]);
    expect(updated).toMatchObject({
      description: 'renamed',
      expiresAt: '2098-02-03T04:05:06.000Z',
      consumptionLimits: { usd: 4.2, diem: 7 },
      modelPrivacy: 'PRIVATE_TEXT',
    });
    const r = await t.admin.run(['keys', 'update', id, '--no-expiry', '--no-usd-limit', '--period', 'LIFETIME']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Updated key ${id}.`);
    expect(r.stdout).toMatch(/Expires\s+never/);
    expect(await t.admin.json<ApiKey>(['keys', 'show', id])).toMatchObject({
      expiresAt: null,
      consumptionLimits: { usd: null, diem: 7 },
      limitPeriod: 'LIFETIME',
    });
    expect((await t.admin.run(['keys', 'update', id])).code).toBe(2);
    expect((await t.admin.run(['keys', 'update', id, '--usd', '1', '--no-usd-limit'])).code).toBe(2);
  });
});

describe('keys revoke and rotate, end to end', () => {
  const inference = async (description: string) =>
    t.admin.json<CreatedApiKey>(['keys', 'create', '--description', description]);
  const works = async (secret: string) =>
    (await new CliUser({ VENICE_API_KEY: secret, VENICE_BASE_URL: t.server.url }).run(['limits'])).code;

  it('asks first: "n", or no answer at all, revokes nothing (exit 1); "y" revokes', async () => {
    const key = await inference('to revoke');
    const no = await t.admin.run(['keys', 'revoke', key.id], { input: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain(`${key.id} ("to revoke", INFERENCE`);
    expect(no.stderr).toContain('Revoke? [y/N]');
    expect(no.stderr).toContain('Aborted: nothing changed.');
    expect((await t.admin.run(['keys', 'revoke', key.id])).code).toBe(1);
    expect(await works(key.apiKey)).toBe(0);

    const yes = await t.admin.run(['keys', 'revoke', key.id], { input: 'y\n' });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`Revoked ${key.id}`);
    expect(await works(key.apiKey)).toBe(3);
    expect((await t.admin.run(['keys', 'show', key.id])).code).toBe(4);
  });

  it('revokes several ids with --yes, and an unknown id stops all before anything is revoked', async () => {
    const [a, b] = [await inference('a'), await inference('b')];
    const typo = await t.admin.run(['keys', 'revoke', a.id, '00000000-0000-4000-8000-000000000000', '--yes']);
    expect(typo).toMatchObject({ code: 4, stderr: 'error: API key not found (HTTP 404)\n' });
    expect(await works(a.apiKey)).toBe(0);
    const r = await t.admin.json<{ id: string; success: boolean }[]>(['keys', 'revoke', a.id, b.id, '--yes']);
    expect(r).toEqual([
      { id: a.id, success: true },
      { id: b.id, success: true },
    ]);
    expect(await works(a.apiKey)).toBe(3);
    expect(await works(b.apiKey)).toBe(3);
  });

  it('rotate: a key with the same settings, the old one revoked, the new secret shown once', async () => {
    const old = await t.admin.json<CreatedApiKey>([
      'keys',
      'create',
      '--description',
      'rotating',
      '--usd',
      '9',
      '--period',
      'LIFETIME',
      '--privacy',
      'PRIVATE_ONLY',
    ]);
    const r = await t.admin.run(['keys', 'rotate', old.id], { input: 'yes\n' });
    expect(r.code).toBe(0);
    const secrets = r.stdout.match(SECRET)!;
    expect(secrets).toHaveLength(1);
    expect(r.stdout).toContain(`The old key ${old.id} is revoked.`);
    expect(await works(old.apiKey)).toBe(3);
    expect(await works(secrets[0]!)).toBe(0);
    const successor = (await t.admin.json<ApiKey[]>(['keys', 'list'])).find(
      (k) => k.last6Chars === secrets[0]!.slice(-6),
    )!;
    expect(successor).toMatchObject({
      description: 'rotating',
      consumptionLimits: { usd: 9 },
      limitPeriod: 'LIFETIME',
      modelPrivacy: 'PRIVATE_ONLY',
    });
  });

  it('rotate --grace keeps the old key working until its new expiry', async () => {
    const old = await inference('graceful');
    const before = Date.now();
    const r = await t.admin.json<{
      created: CreatedApiKey;
      previous: { id: string; revoked: boolean; expiresAt: string };
    }>(['keys', 'rotate', old.id, '--grace', '1h', '--yes']);
    expect(r.previous).toMatchObject({ id: old.id, revoked: false });
    const expiry = Date.parse(r.previous.expiresAt);
    expect(expiry).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(await works(old.apiKey)).toBe(0);
    expect(await works(r.created.apiKey)).toBe(0);
    expect((await t.admin.json<ApiKey>(['keys', 'show', old.id])).expiresAt).toBe(r.previous.expiresAt);
  });

  it('rotating the key a profile logs in with moves the profile to the new key', async () => {
    const user = new CliUser();
    const own = await t.admin.json<CreatedApiKey>(['keys', 'create', '--type', 'ADMIN', '--description', 'self']);
    expect((await user.run(['login'], { input: `${t.server.url}\n${own.apiKey}\n` })).code).toBe(0);
    const r = await user.json<{ created: CreatedApiKey }>(['keys', 'rotate', own.id, '--yes']);
    expect(r.created.apiKey).not.toBe(own.apiKey);
    expect(JSON.parse(readFileSync(user.configFile, 'utf8')).profiles.default.apiKey).toBe(r.created.apiKey);
    expect((await user.run(['whoami'])).code).toBe(0);
    expect(existsSync(user.configFile)).toBe(true);
    user.dispose();
  });
});
