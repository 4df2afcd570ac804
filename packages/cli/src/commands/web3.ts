import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { type Action, examples } from './action.js';
import { newKeySettings, type SettingsOptions, settingsOptions } from './key-options.js';
import { showCreatedKey } from './key-views.js';

/**
 * The wallet's private key, from the environment or a file only: an argument would sit in the shell
 * history and in every process listing.
 */
function walletKey(ctx: Context, keyFile: string | undefined): `0x${string}` {
  let raw: string | undefined;
  if (keyFile !== undefined) {
    try {
      raw = readFileSync(keyFile, 'utf8');
    } catch (e) {
      throw usageError(`cannot read ${keyFile}: ${(e as Error).message}`);
    }
  } else {
    raw = ctx.io.env.VENICE_WALLET_PRIVATE_KEY;
  }
  raw = raw?.trim();
  if (!raw) throw usageError('no wallet key: set VENICE_WALLET_PRIVATE_KEY or pass --key-file <path>');
  const hex = raw.startsWith('0x') ? raw : `0x${raw}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw usageError('the wallet key is not 32 bytes of hex');
  return hex as `0x${string}`;
}

async function mint(ctx: Context, o: SettingsOptions & { keyFile?: string }): Promise<void> {
  const key = walletKey(ctx, o.keyFile);
  // Loaded here only: viem is large, and every other command starts faster without it.
  const { privateKeyToAccount } = await import('viem/accounts');
  const signer = privateKeyToAccount(key);
  // Minting needs no API key, so none is sent, not even a configured one.
  const venice = ctx.clientFor(ctx.target.baseURL, null);
  const created = await venice.apiKeys.mintWeb3Key({ signer, apiKeyType: o.type ?? 'INFERENCE', ...newKeySettings(o) });
  showCreatedKey(ctx, created, `Minted for wallet ${signer.address}:`);
}

export function registerWeb3(program: Command, action: Action): void {
  const web3 = examples(program.command('web3').description('keys for wallets holding staked VVV'), [
    'VENICE_WALLET_PRIVATE_KEY=0x… venice-keys web3 mint --description agent',
  ]);
  examples(
    settingsOptions(
      web3.command('mint').description('get a token, sign it with the wallet, and mint a key (shown once)'),
      'mint',
    )
      .option('--key-file <path>', 'file holding the wallet private key (else VENICE_WALLET_PRIVATE_KEY)')
      .action(action(mint)),
    [
      'VENICE_WALLET_PRIVATE_KEY=0x… venice-keys web3 mint --description agent',
      'venice-keys web3 mint --key-file ~/.wallet.key --usd 5 --period EPOCH --json',
    ],
  );
}
