import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config.js';
import { createAccountWithAdminKey } from '../domain/bootstrap.js';
import { systemClock } from '../domain/clock.js';
import { isAppError } from '../domain/errors.js';
import type { Account } from '../domain/model.js';
import { formatMicros, microsFromDecimal } from '../domain/money.js';
import { createServices, resolveServerSecret } from '../services.js';
import { openStore } from '../storage/open.js';

/**
 * What only the operator may do, straight against the database named by DATABASE_URL (and the
 * config file of VENICE_KEYS_CONFIG): create accounts, list them, credit USD, set tier and DIEM.
 */

export interface OperatorIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

function amount(text: string): bigint {
  try {
    return microsFromDecimal(text);
  } catch {
    throw new CommanderError(2, 'operator.amount', `not an amount: ${text} (use a non-negative decimal like 12.50)`);
  }
}

function describe(a: Account) {
  return {
    id: a.id,
    tier: a.tier,
    usdBalance: formatMicros(a.usdBalance),
    diemEpochAllocation: formatMicros(a.diemEpochAllocation),
    walletAddress: a.walletAddress,
    createdAt: new Date(a.createdAt).toISOString(),
  };
}

/** Runs one operator command; returns the process exit code. */
export async function runOperator(argv: string[], io: OperatorIo): Promise<number> {
  const config = loadConfig(io.env);
  const store = await openStore(config.databaseUrl);
  try {
    const services = createServices(config, store, systemClock, await resolveServerSecret(config, store));
    const { accounts, keys } = services;
    const print = (json: boolean, a: Account, text: string) =>
      io.out(json ? `${JSON.stringify(describe(a))}\n` : `${text}\n`);

    const program = new Command('venice-keys-admin')
      .description('Operator commands for a venice-keys server (talks to its database directly)')
      .exitOverride()
      .configureOutput({ writeOut: io.out, writeErr: io.err });
    const acc = program.command('accounts').description('manage accounts');

    acc
      .command('create')
      .description('create an account and print its first ADMIN key (shown once)')
      .option('--tier <tier>', 'API tier of the account')
      .option('--credit <usd>', 'starting USD credit', amount)
      .option('--json', 'print JSON')
      .action(async (o: { tier?: string; credit?: bigint; json?: boolean }) => {
        const { account, created } = await createAccountWithAdminKey(accounts, keys);
        let result = account;
        if (o.tier) result = await accounts.setTier(account.id, o.tier);
        if (o.credit) result = await accounts.creditUsd(account.id, o.credit);
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
        const all = await store.listAccounts();
        if (o.json) {
          for (const a of all) io.out(`${JSON.stringify(describe(a))}\n`);
          return;
        }
        io.out(`${['id', 'tier', 'usd', 'diem/epoch', 'wallet'].join('\t')}\n`);
        for (const a of all) {
          const d = describe(a);
          io.out(`${[d.id, d.tier, d.usdBalance, d.diemEpochAllocation, d.walletAddress ?? '-'].join('\t')}\n`);
        }
      });

    acc
      .command('credit <accountId> <usd>')
      .description('add USD to an account balance')
      .option('--json', 'print JSON')
      .action(async (id: string, usd: string, o: { json?: boolean }) => {
        const a = await accounts.creditUsd(id, amount(usd));
        print(!!o.json, a, `Account ${a.id} USD balance: ${formatMicros(a.usdBalance)}`);
      });

    acc
      .command('set-tier <accountId> <tier>')
      .description(`set the API tier (${Object.keys(config.tiers).join(', ')})`)
      .option('--json', 'print JSON')
      .action(async (id: string, tier: string, o: { json?: boolean }) => {
        const a = await accounts.setTier(id, tier);
        print(!!o.json, a, `Account ${a.id} tier: ${a.tier}`);
      });

    acc
      .command('set-diem <accountId> <diem>')
      .description('set the DIEM allocation per epoch')
      .option('--json', 'print JSON')
      .action(async (id: string, diem: string, o: { json?: boolean }) => {
        const a = await accounts.setDiemAllocation(id, amount(diem));
        print(!!o.json, a, `Account ${a.id} DIEM per epoch: ${formatMicros(a.diemEpochAllocation)}`);
      });

    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      if (e.code === 'operator.amount') io.err(`error: ${e.message}\n`);
      return e.exitCode || 2;
    }
    if (isAppError(e)) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await store.close();
  }
}
