import { getAddress, type Hex, hashMessage, keccak256, serializeErc6492Signature, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startLocalChain } from '../../../../tests/support/evm/index.js';
import { AppError } from '../../src/domain/errors.js';
import {
  assertStaked,
  type ChainReader,
  createChainReader,
  parseWalletAddress,
  readTokenBalance,
  verifyWalletSignature,
} from '../../src/web3/wallet.js';
import { rejectsWith } from '../support/refusals.js';

const MISMATCH = 'Wallet signature does not match';
const RPC_FAILED = 'Could not verify wallet signature';

const newAccount = () => privateKeyToAccount(generatePrivateKey());

/** What a wallet signs: the token string of GET /api_keys/generate_web3_key. */
const message = 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ0ZXN0In0.c2lnbmF0dXJl';

let chain: LocalChain;
let rpc: ChainReader;

beforeAll(async () => {
  chain = await startLocalChain();
  rpc = createChainReader({ rpcUrl: chain.url, chainId: chain.chainId });
});
afterAll(() => chain.stop());

describe('parseWalletAddress', () => {
  const checksummed = getAddress('0x321b7ff75154472b18edb199033ff4d116f340ff');

  it.each([
    ['all lower case', checksummed.toLowerCase()],
    ['all upper case', `0x${checksummed.slice(2).toUpperCase()}`],
    ['a correct EIP-55 checksum', checksummed],
  ])('accepts %s and returns the checksummed form', async (_, input) => {
    await expect(parseWalletAddress(input)).resolves.toBe(checksummed);
  });

  it.each([
    ['a wrong checksum', checksummed.replace('b', 'B')],
    ['no 0x prefix', checksummed.slice(2)],
    ['39 hex digits', checksummed.slice(0, -1)],
    ['41 hex digits', `${checksummed}0`],
    ['a non-hex digit', `${checksummed.slice(0, -1)}g`],
    ['surrounding spaces', ` ${checksummed} `],
    ['an empty string', ''],
    ['an ENS name', 'vitalik.eth'],
  ])('rejects %s', async (_, input) => {
    await rejectsWith(parseWalletAddress(input), 'Invalid wallet address');
  });
});

describe('verifyWalletSignature: EOA', () => {
  it('accepts the personal_sign of the message by the address', async () => {
    const signer = newAccount();
    const signature = await signer.signMessage({ message });
    await expect(verifyWalletSignature({ address: signer.address, message, signature, rpc })).resolves.toBe('eoa');
    // Checksum-insensitive, as the address check is.
    const lower = signer.address.toLowerCase();
    await expect(verifyWalletSignature({ address: lower, message, signature, rpc })).resolves.toBe('eoa');
  });

  it('needs no RPC for a signature that recovers to the address', async () => {
    const down = await startLocalChain();
    await down.stop();
    const signer = newAccount();
    const signature = await signer.signMessage({ message });
    const unreachable = createChainReader({ rpcUrl: down.url, chainId: down.chainId });
    await expect(
      verifyWalletSignature({ address: signer.address, message, signature, rpc: unreachable }),
    ).resolves.toBe('eoa');
  });

  it.each([
    ['signed by another key', async () => newAccount().signMessage({ message })],
    [
      'signed over another message',
      async (signer: ReturnType<typeof newAccount>) => signer.signMessage({ message: `${message}x` }),
    ],
    [
      'over the bare keccak256 of the message, without the EIP-191 prefix',
      async (signer: ReturnType<typeof newAccount>) => signer.sign({ hash: keccak256(toHex(message)) }),
    ],
    ['too short', async () => '0x1234' as Hex],
    ['not hex', async () => 'not a signature' as Hex],
    ['an odd number of hex digits', async () => '0x123' as Hex],
  ])('rejects a signature %s, once the RPC says the address has no code', async (_, sign) => {
    const signer = newAccount();
    const signature = await sign(signer);
    await rejectsWith(verifyWalletSignature({ address: signer.address, message, signature, rpc }), MISMATCH);
  });

  it('rejects an invalid address before looking at the signature', async () => {
    await rejectsWith(
      verifyWalletSignature({ address: '0x1234', message, signature: '0x', rpc }),
      'Invalid wallet address',
    );
  });
});

describe('verifyWalletSignature: ERC-1271 contract wallet', () => {
  it("accepts the owner's personal_sign of the message", async () => {
    const owner = newAccount();
    const wallet = await chain.deploySmartWallet(owner.address);
    const signature = await owner.signMessage({ message });
    await expect(verifyWalletSignature({ address: wallet, message, signature, rpc })).resolves.toBe('erc1271');
  });

  it("accepts the owner's personal_sign of the message hash", async () => {
    const owner = newAccount();
    const wallet = await chain.deploySmartWallet(owner.address);
    const signature = await owner.signMessage({ message: { raw: hashMessage(message) } });
    await expect(verifyWalletSignature({ address: wallet, message, signature, rpc })).resolves.toBe('erc1271');
  });

  it('rejects a signature by someone other than the owner (isValidSignature says no)', async () => {
    const wallet = await chain.deploySmartWallet(newAccount().address);
    const signature = await newAccount().signMessage({ message });
    await rejectsWith(verifyWalletSignature({ address: wallet, message, signature, rpc }), MISMATCH);
  });

  it('rejects a signature the wallet reverts on', async () => {
    const owner = newAccount();
    const wallet = await chain.deploySmartWallet(owner.address);
    const signature = (await owner.signMessage({ message })).slice(0, -2) as Hex;
    await rejectsWith(verifyWalletSignature({ address: wallet, message, signature, rpc }), MISMATCH);
  });

  it('rejects a contract that does not implement ERC-1271', async () => {
    const token = await chain.deployErc20();
    const signature = await newAccount().signMessage({ message });
    await rejectsWith(verifyWalletSignature({ address: token, message, signature, rpc }), MISMATCH);
  });
});

describe('verifyWalletSignature: ERC-6492 counterfactual wallet', () => {
  async function wrappedSignature(signer: ReturnType<typeof newAccount>, owner = signer, signed = message) {
    const wallet = await chain.counterfactualWallet(owner.address);
    const signature = serializeErc6492Signature({
      address: wallet.factory,
      data: wallet.factoryCalldata,
      signature: await signer.signMessage({ message: signed }),
    });
    return { wallet, signature };
  }

  it("accepts the owner's signature for a wallet not deployed yet, and deploys nothing", async () => {
    const owner = newAccount();
    const { wallet, signature } = await wrappedSignature(owner);
    expect(await chain.getCode(wallet.address)).toBe('0x');
    await expect(verifyWalletSignature({ address: wallet.address, message, signature, rpc })).resolves.toBe('erc6492');
    expect(await chain.getCode(wallet.address)).toBe('0x');
  });

  it('still accepts the wrapped signature once the wallet is deployed', async () => {
    const owner = newAccount();
    const { wallet, signature } = await wrappedSignature(owner);
    await chain.send({ to: wallet.factory, data: wallet.factoryCalldata });
    expect(await chain.getCode(wallet.address)).not.toBe('0x');
    await expect(verifyWalletSignature({ address: wallet.address, message, signature, rpc })).resolves.toBe('erc6492');
  });

  it('rejects a wrapped signature by someone other than the owner', async () => {
    const { wallet, signature } = await wrappedSignature(newAccount(), newAccount());
    await rejectsWith(verifyWalletSignature({ address: wallet.address, message, signature, rpc }), MISMATCH);
  });

  it('rejects a wrapped signature over another message', async () => {
    const owner = newAccount();
    const { wallet, signature } = await wrappedSignature(owner, owner, `${message}x`);
    await rejectsWith(verifyWalletSignature({ address: wallet.address, message, signature, rpc }), MISMATCH);
  });

  it('rejects a wrapped signature presented for another address than the factory deploys', async () => {
    const owner = newAccount();
    const { signature } = await wrappedSignature(owner);
    const elsewhere = (await chain.counterfactualWallet(owner.address, `0x${'01'.padStart(64, '0')}`)).address;
    await rejectsWith(verifyWalletSignature({ address: elsewhere, message, signature, rpc }), MISMATCH);
  });
});

describe('readTokenBalance and assertStaked', () => {
  it('reads a funded wallet balance and lets it through', async () => {
    const token = await chain.deployErc20();
    const holder = newAccount().address;
    await chain.mint(token, holder, 10n ** 18n);
    const balance = await readTokenBalance({ address: holder, tokenAddress: token, rpc });
    expect(balance).toBe(10n ** 18n);
    expect(() => assertStaked({ balance, minBalance: 1n, address: holder })).not.toThrow();
    expect(() => assertStaked({ balance, minBalance: 10n ** 18n, address: holder })).not.toThrow();
  });

  it('rejects a wallet without the token, naming it', async () => {
    const token = await chain.deployErc20();
    const holder = newAccount().address;
    const balance = await readTokenBalance({ address: holder, tokenAddress: token, rpc });
    expect(balance).toBe(0n);
    let thrown: unknown;
    try {
      assertStaked({ balance, minBalance: 1n, address: holder });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'BAD_REQUEST', message: `Wallet ${holder} has no staked VVV on Base` });
  });

  it('rejects a balance below a configured minimum', () => {
    const address = newAccount().address;
    expect(() => assertStaked({ balance: 4n, minBalance: 5n, address })).toThrow(
      `Wallet ${address} has no staked VVV on Base`,
    );
  });

  it('cannot verify when the token address holds no contract or no ERC-20 (a misconfiguration)', async () => {
    const nowhere = newAccount().address;
    await rejectsWith(readTokenBalance({ address: newAccount().address, tokenAddress: nowhere, rpc }), RPC_FAILED);
    const notAToken = await chain.deploySmartWallet(newAccount().address);
    await rejectsWith(readTokenBalance({ address: newAccount().address, tokenAddress: notAToken, rpc }), RPC_FAILED);
  });
});

describe('when the RPC fails', () => {
  /** A chain of its own per test, since these tests break it. */
  async function brokenChain() {
    const local = await startLocalChain();
    const token = await local.deployErc20();
    const owner = newAccount();
    const wallet = await local.deploySmartWallet(owner.address);
    const signature = await owner.signMessage({ message });
    return { local, token, owner, wallet, signature };
  }

  it('a stopped RPC fails the signature step of a signature that does not recover', async () => {
    const { local, wallet, signature } = await brokenChain();
    const reader = createChainReader({ rpcUrl: local.url, chainId: local.chainId });
    await expect(verifyWalletSignature({ address: wallet, message, signature, rpc: reader })).resolves.toBe('erc1271');
    await local.stop();
    await rejectsWith(verifyWalletSignature({ address: wallet, message, signature, rpc: reader }), RPC_FAILED);
    // An EOA signed by another key is no mismatch either while the RPC cannot say "no code".
    const eoa = newAccount().address;
    await rejectsWith(verifyWalletSignature({ address: eoa, message, signature, rpc: reader }), RPC_FAILED);
  });

  it('a stopped RPC fails the balance step', async () => {
    const { local, token, owner } = await brokenChain();
    const reader = createChainReader({ rpcUrl: local.url, chainId: local.chainId });
    await local.stop();
    await rejectsWith(readTokenBalance({ address: owner.address, tokenAddress: token, rpc: reader }), RPC_FAILED);
  });

  it('a stopped RPC fails the ERC-6492 step', async () => {
    const local = await startLocalChain();
    const owner = newAccount();
    const wallet = await local.counterfactualWallet(owner.address);
    const signature = serializeErc6492Signature({
      address: wallet.factory,
      data: wallet.factoryCalldata,
      signature: await owner.signMessage({ message }),
    });
    await local.stop();
    const reader = createChainReader({ rpcUrl: local.url, chainId: local.chainId });
    await rejectsWith(verifyWalletSignature({ address: wallet.address, message, signature, rpc: reader }), RPC_FAILED);
  });

  it.each([
    ['does not answer within the timeout', 'no-answer'],
    ['answers HTTP 503', 'http-503'],
    ['answers a JSON-RPC error that is no revert', 'rate-limited'],
  ] as const)('an RPC that %s fails both steps', async (_, outage) => {
    const { local, token, owner, wallet, signature } = await brokenChain();
    const reader = createChainReader({ rpcUrl: local.url, chainId: local.chainId, timeoutMs: 300 });
    try {
      local.setOutage(outage);
      await rejectsWith(verifyWalletSignature({ address: wallet, message, signature, rpc: reader }), RPC_FAILED);
      await rejectsWith(readTokenBalance({ address: owner.address, tokenAddress: token, rpc: reader }), RPC_FAILED);
      local.setOutage(null);
      await expect(verifyWalletSignature({ address: wallet, message, signature, rpc: reader })).resolves.toBe(
        'erc1271',
      );
    } finally {
      await local.stop();
    }
  });

  it('an RPC of another chain than configured is not trusted', async () => {
    const { local, token, owner, wallet, signature } = await brokenChain();
    const reader = createChainReader({ rpcUrl: local.url, chainId: 1 });
    try {
      await rejectsWith(verifyWalletSignature({ address: wallet, message, signature, rpc: reader }), RPC_FAILED);
      await rejectsWith(readTokenBalance({ address: owner.address, tokenAddress: token, rpc: reader }), RPC_FAILED);
    } finally {
      await local.stop();
    }
  });
});

describe('a full wallet check against the local chain', () => {
  it('verifies the signature and reads the balance', async () => {
    const token = await chain.deployErc20();
    const signer = newAccount();
    const owner = newAccount();
    const wallet = await chain.deploySmartWallet(owner.address);
    await chain.mint(token, signer.address, 1n);
    await chain.mint(token, wallet, 1n);
    const eoaSignature = await signer.signMessage({ message });
    const walletSignature = await owner.signMessage({ message });
    const reader = createChainReader({ rpcUrl: chain.url, chainId: chain.chainId });

    const check = async (address: `0x${string}`, signature: Hex) => {
      const started = performance.now();
      const kind = await verifyWalletSignature({ address, message, signature, rpc: reader });
      const balance = await readTokenBalance({ address, tokenAddress: token, rpc: reader });
      assertStaked({ balance, minBalance: 1n, address });
      return { kind, ms: performance.now() - started };
    };

    const first = await check(signer.address, eoaSignature);
    const eoa = await check(signer.address, eoaSignature);
    const contract = await check(wallet, walletSignature);
    expect([first.kind, eoa.kind, contract.kind]).toEqual(['eoa', 'eoa', 'erc1271']);
    console.log(
      `web3 wallet check (signature + balance) on the local chain: first ${first.ms.toFixed(1)} ms (chain id check), ` +
        `EOA ${eoa.ms.toFixed(1)} ms, ERC-1271 ${contract.ms.toFixed(1)} ms`,
    );
  });
});
