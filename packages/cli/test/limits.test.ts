import type { BillingBalance, CreatedApiKey, RateLimits } from '@venice-keys/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliUser } from './support/cli.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: CliUser;

beforeAll(async () => {
  assertBuilt();
  server = await startServer();
  const { id, adminKey } = await server.newAccount({ credit: '12.5' });
  await server.operator(['accounts', 'set-diem', id, '3']);
  admin = new CliUser({ VENICE_API_KEY: adminKey, VENICE_BASE_URL: server.url });
});
afterAll(async () => {
  admin?.dispose();
  await server?.stop();
});

describe('limits', () => {
  it('shows access, balances and every model limit with its headroom and reset, in local time', async () => {
    const data = await admin.json<RateLimits>(['limits']);
    expect(data).toMatchObject({ accessPermitted: true, balances: { USD: 12.5, DIEM: 3 } });
    expect(data.rateLimits.length).toBeGreaterThan(0);
    const r = await admin.run(['limits'], { env: { TZ: 'Asia/Tokyo', COLUMNS: '200' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Access\s+permitted/);
    expect(r.stdout).toMatch(/Spendable\s+12\.50 USD, 3\.00 DIEM/);
    const epoch = new Date(data.nextEpochBegins).toLocaleString('sv-SE', { timeZone: 'Asia/Tokyo' }).slice(0, 16);
    expect(r.stdout).toContain(`Next epoch   ${epoch}`);
    expect(r.stdout).toMatch(/MODEL\s+LIMIT\s+AMOUNT\s+USED\s+REMAINING\s+RESETS/);
    const model = data.rateLimits[0]!;
    const rpm = model.rateLimits.find((l) => l.type === 'RPM')!;
    expect(r.stdout).toMatch(new RegExp(`${model.apiModelId}\\s+RPM\\s+${rpm.amount.toLocaleString('en-US')}\\s+`));
    const one = await admin.run(['limits', '--model', model.apiModelId!]);
    expect(
      one.stdout
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith(model.apiModelId!)),
    ).toHaveLength(model.rateLimits.length);
  });

  it('is about the calling key: a limited INFERENCE key sees its own headroom', async () => {
    const key = await admin.json<CreatedApiKey>(['keys', 'create', '--description', 'capped', '--usd', '2']);
    const own = new CliUser({ VENICE_API_KEY: key.apiKey, VENICE_BASE_URL: server.url });
    expect(await own.json<RateLimits>(['limits'])).toMatchObject({ balances: { USD: 2 } });
    own.dispose();
  });

  it('limits log: the breach log, empty on a new account', async () => {
    expect(await admin.json(['limits', 'log'])).toEqual({ object: 'list', data: [] });
    const r = await admin.run(['limits', 'log']);
    expect(r).toMatchObject({ code: 0, stdout: 'No rate-limit breaches.\n' });
  });
});

describe('balance', () => {
  it('shows the balances as the wire sends them, and for people', async () => {
    expect(await admin.json<BillingBalance>(['balance'])).toEqual({
      canConsume: true,
      consumptionCurrency: 'DIEM',
      balances: { usd: 12.5, diem: 3 },
      diemEpochAllocation: 3,
    });
    const r = await admin.run(['balance']);
    expect(r.stdout).toBe(
      [
        'USD             12.50',
        'DIEM            3.00',
        'DIEM per epoch  3.00',
        'Spends first    DIEM',
        'Can consume     yes',
        '',
      ].join('\n'),
    );
  });
});
