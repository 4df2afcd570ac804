import type { Command } from 'commander';
import { createAccountWithAdminKey } from '../domain/bootstrap.js';
import type { Account } from '../domain/model.js';
import { formatMicros } from '../http/format.js';
import { parseAmount } from './amounts.js';
import type { OperatorContext } from './operator.js';

function describe(a: Account) {
  return {
    id: a.id,
    tier: a.tier,
    usdBalance: formatMicros(a.usdBalance),
    diemEpochAllocation: formatMicros(a.diemEpochAllocation),
    walletAddress: a.walletAddress,
    createdAt: new Date(a.createdAt).toISOString(),
    disabledAt: a.disabledAt === null ? null : new Date(a.disabledAt).toISOString(),
  };
}

/** `accounts …`: create and list accounts, move their money, set their tier, disable and enable them. */
export function accountCommands(program: Command, ctx: OperatorContext): void {
  const { io } = ctx;
  const amount = (text: string, positive: boolean) => {
    const parsed = parseAmount(text, { positive });
    return typeof parsed === 'string' ? ctx.usage(parsed) : parsed;
  };
  const print = (json: boolean | undefined, a: Account, text: string) =>
    io.out(json ? `${JSON.stringify(describe(a))}\n` : `${text}\n`);
  const acc = program.command('accounts').description('manage accounts');

  acc
    .command('create')
    .description('create an account and print its first ADMIN key (shown once)')
    .option('--tier <tier>', 'API tier of the account')
    .option('--credit <usd>', 'starting USD credit')
    .option('--json', 'print JSON')
    .action(async (o: { tier?: string; credit?: string; json?: boolean }) => {
      const credit = o.credit === undefined ? undefined : amount(o.credit, true);
      const { services, config } = ctx.runtime();
      if (o.tier && !config.tiers[o.tier]) {
        ctx.usage(`unknown tier "${o.tier}"; known: ${Object.keys(config.tiers).join(', ')}`);
      }
      const { accounts } = services;
      const { account, created } = await createAccountWithAdminKey(accounts, services.keys);
      let result = account;
      if (o.tier) result = await accounts.setTier(account.id, o.tier);
      if (credit) result = await accounts.creditUsd(account.id, credit);
      io.out(
        o.json
          ? `${JSON.stringify({ ...describe(result), adminKey: created.secret })}\n`
          : `Created account ${account.id}\nFirst ADMIN key (shown once, store it now):\n  ${created.secret}\n`,
      );
    });

  acc
    .command('list')
    .description('list accounts')
    .option('--json', 'print JSON lines')
    .action(async (o: { json?: boolean }) => {
      const all = await ctx.runtime().store.listAccounts();
      if (o.json) {
        for (const a of all) io.out(`${JSON.stringify(describe(a))}\n`);
        return;
      }
      io.out(`${['id', 'tier', 'usd', 'diem/epoch', 'wallet', 'state'].join('\t')}\n`);
      for (const a of all) {
        const d = describe(a);
        const state = d.disabledAt ? `disabled since ${d.disabledAt}` : 'enabled';
        io.out(`${[d.id, d.tier, d.usdBalance, d.diemEpochAllocation, d.walletAddress ?? '-', state].join('\t')}\n`);
      }
    });

  const moves = [
    { name: 'credit', what: 'add USD to an account balance' },
    { name: 'debit', what: 'take USD off an account balance (never below zero)' },
  ] as const;
  for (const { name, what } of moves) {
    acc
      .command(`${name} <accountId> <usd>`)
      .description(what)
      .option('--json', 'print JSON')
      .action(async (id: string, usd: string, o: { json?: boolean }) => {
        const micros = amount(usd, true);
        const { accounts } = ctx.runtime().services;
        const a = name === 'credit' ? await accounts.creditUsd(id, micros) : await accounts.debitUsd(id, micros);
        print(o.json, a, `Account ${a.id} USD balance: ${formatMicros(a.usdBalance)}`);
      });
  }

  for (const disabled of [true, false]) {
    acc
      .command(`${disabled ? 'disable' : 'enable'} <accountId>`)
      .description(
        disabled
          ? "stop an account: its keys fail authentication on every instance within the auth cache's 1 s"
          : 'let a disabled account authenticate again',
      )
      .option('--json', 'print JSON')
      .action(async (id: string, o: { json?: boolean }) => {
        const a = await ctx.runtime().services.accounts.setDisabled(id, disabled);
        print(o.json, a, `Account ${a.id} ${a.disabledAt === null ? 'enabled' : 'disabled'}`);
      });
  }

  acc
    .command('set-tier <accountId> <tier>')
    .description('set the API tier')
    .option('--json', 'print JSON')
    .action(async (id: string, tier: string, o: { json?: boolean }) => {
      const a = await ctx.runtime().services.accounts.setTier(id, tier);
      print(o.json, a, `Account ${a.id} tier: ${a.tier}`);
    });

  acc
    .command('set-diem <accountId> <diem>')
    .description('set the DIEM allocation per epoch')
    .option('--json', 'print JSON')
    .action(async (id: string, diem: string, o: { json?: boolean }) => {
      const micros = amount(diem, false);
      const a = await ctx.runtime().services.accounts.setDiemAllocation(id, micros);
      print(o.json, a, `Account ${a.id} DIEM per epoch: ${formatMicros(a.diemEpochAllocation)}`);
    });
}
