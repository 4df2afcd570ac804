import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreatedApiKey, RateLimits } from '@venice-keys/sdk';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startLocalChain } from '../../../tests/support/evm/index.js';
import { assertBuilt, CliUser } from './support/cli.js';
import { startServer, type TestServer } from './support/server.js';

let chain: LocalChain;
let token: `0x${string}`;
let server: TestServer;
let cli: CliUser;

beforeAll(async () => {
  assertBuilt();
  chain = await startLocalChain();
  token = await chain.deployErc20();
  server = await startServer({
    config: {
      limits: { web3RequestsPerMinutePerClient: 1000 },
      web3: { enabled: true, rpcUrl: chain.url, chainId: 8453, tokenAddress: token, minBalance: '1' },
    },
  });
  cli = new CliUser({ VENICE_BASE_URL: server.url });
});
afterAll(async () => {
  cli?.dispose();
  await server?.stop();
  await chain?.stop();
});

async function stakedWallet() {
  const privateKey = generatePrivateKey();
  const wallet = privateKeyToAccount(privateKey);
  await chain.mint(token, wallet.address, 10n ** 18n);
  return { privateKey, wallet };
}

describe('web3 mint', () => {
  it('signs with the wallet of VENICE_WALLET_PRIVATE_KEY and prints the new secret once', async () => {
    const { privateKey, wallet } = await stakedWallet();
    const r = await cli.run(['web3', 'mint', '--description', 'agent', '--usd', '5'], {
      env: { VENICE_WALLET_PRIVATE_KEY: privateKey },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Minted for wallet ${wallet.address}: INFERENCE key`);
    const secrets = r.stdout.match(/VENICE_INFERENCE_KEY_[A-Za-z0-9]{44}/g)!;
    expect(secrets).toHaveLength(1);
    expect(r.stdout).not.toContain(privateKey.slice(2));
    const own = new CliUser({ VENICE_API_KEY: secrets[0]!, VENICE_BASE_URL: server.url });
    expect(await own.json<RateLimits>(['limits'])).toMatchObject({ accessPermitted: expect.any(Boolean) });
    own.dispose();
  });

  it('reads the wallet key from --key-file; --json gives the wire CreatedApiKey', async () => {
    const { privateKey } = await stakedWallet();
    const file = join(cli.configHome, 'wallet.key');
    writeFileSync(file, `${privateKey.slice(2)}\n`, { mode: 0o600 });
    const key = await cli.json<CreatedApiKey>(['web3', 'mint', '--key-file', file, '--type', 'admin']);
    expect(key).toMatchObject({ apiKeyType: 'ADMIN', description: 'Web3 API Key' });
    expect(key.apiKey).toMatch(/^VENICE_ADMIN_KEY_/);
  });

  it('never takes the private key as an argument, and says where it is looked for', async () => {
    const { privateKey } = await stakedWallet();
    const arg = await cli.run(['web3', 'mint', '--private-key', privateKey]);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toContain("unknown option '--private-key'");
    const none = await cli.run(['web3', 'mint']);
    expect(none).toMatchObject({ code: 2 });
    expect(none.stderr).toContain('set VENICE_WALLET_PRIVATE_KEY or pass --key-file <path>');
    const bad = await cli.run(['web3', 'mint'], { env: { VENICE_WALLET_PRIVATE_KEY: 'not hex' } });
    expect(bad.stderr).toBe('error: the wallet key is not 32 bytes of hex\n');
  });

  it("a wallet without stake is the server's refusal (exit 2)", async () => {
    const broke = generatePrivateKey();
    const r = await cli.run(['web3', 'mint'], { env: { VENICE_WALLET_PRIVATE_KEY: broke } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: Wallet ${privateKeyToAccount(broke).address} has no staked VVV on Base (HTTP 400)\n`);
  });
});
