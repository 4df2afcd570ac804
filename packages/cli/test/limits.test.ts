import type { BillingBalance, CreatedApiKey, RateLimits } from '@venice-keys/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliUser } from './support/cli.js';
import { useServer } from './support/fixture.js';

const t = useServer({ credit: '12.5' });
beforeAll(async () => {
  await t.server.operator(['accounts', 'set-diem', t.account.id, '3']);
});

describe('limits', () => {
  it('shows access, balances and every model limit with its headroom and reset, in local time', async () => {
    const data = await t.admin.json<RateLimits>(['limits']);
    expect(data).toMatchObject({ accessPermitted: true, balances: { USD: 12.5, DIEM: 3 } });
    expect(data.rateLimits.length).toBeGreaterThan(0);
    const r = await t.admin.run(['limits'], { env: { TZ: 'Asia/Tokyo', COLUMNS: '200' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Access\s+permitted/);
    expect(r.stdout).toMatch(/Spendable\s+12\.50 USD, 3\.00 DIEM/);
    const epoch = new Date(data.nextEpochBegins).toLocaleString('sv-SE', { timeZone: 'Asia/Tokyo' }).slice(0, 16);
    expect(r.stdout).toContain(`Next epoch   ${epoch}`);
    expect(r.stdout).toMatch(/MODEL\s+LIMIT\s+AMOUNT\s+USED\s+REMAINING\s+RESETS/);
    const model = data.rateLimits[0]!;
    const rpm = model.rateLimits.find((l) => l.type === 'RPM')!;
    expect(r.stdout).toMatch(new RegExp(`${model.apiModelId}\\s+RPM\\s+${rpm.amount.toLocaleString('en-US')}\\s+`));
    const one = await t.admin.run(['limits', '--model', model.apiModelId!]);
    expect(
      one.stdout
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith(model.apiModelId!)),
    ).toHaveLength(model.rateLimits.length);
  });

  it('is about the calling key: a limited INFERENCE key sees its own headroom', async () => {
    const key = await t.admin.json<CreatedApiKey>(['keys', 'create', '--description', 'capped', '--usd', '2']);
    const own = new CliUser({ VENICE_API_KEY: key.apiKey, VENICE_BASE_URL: t.server.url });
    expect(await own.json<RateLimits>(['limits'])).toMatchObject({ balances: { USD: 2 } });
    own.dispose();
  });

  it('limits log: the breach log, empty on a new account', async () => {
    expect(await t.admin.json(['limits', 'log'])).toEqual({ object: 'list', data: [] });
    const r = await t.admin.run(['limits', 'log']);
    expect(r).toMatchObject({ code: 0, stdout: 'No rate-limit breaches.\n' });
  });
});

describe('balance', () => {
  it('shows the balances as the wire sends them, and for people', async () => {
    expect(await t.admin.json<BillingBalance>(['balance'])).toEqual({
      canConsume: true,
      consumptionCurrency: 'DIEM',
      balances: { usd: 12.5, diem: 3 },
      diemEpochAllocation: 3,
    });
    const r = await t.admin.run(['balance']);
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
