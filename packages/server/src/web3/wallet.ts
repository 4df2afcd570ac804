import type { Address, Hex, PublicClient } from 'viem';
import { AppError } from '../domain/errors.js';

/**
 * Wallet checks of the web3 key flow: who signed the token (EOA, ERC-1271 contract wallet, or
 * ERC-6492 counterfactual wallet) and whether the wallet holds the staking token.
 *
 * viem is imported on first use, not at start-up: it costs a few hundred milliseconds to load
 * and most servers never see a web3 request.
 */

type Viem = typeof import('viem');
let viem: Promise<Viem> | undefined;
const loadViem = (): Promise<Viem> => (viem ??= import('viem'));

const INVALID_ADDRESS = 'Invalid wallet address';
const SIGNATURE_MISMATCH = 'Wallet signature does not match';
const RPC_FAILED = 'Could not verify wallet signature';

/** `isValidSignature(bytes32,bytes)` → its own selector, ABI-encoded as one word. */
const ERC1271_VALID = `0x1626ba7e${'0'.repeat(56)}`;

const erc1271Abi = [
  {
    type: 'function',
    name: 'isValidSignature',
    stateMutability: 'view',
    inputs: [
      { name: 'hash', type: 'bytes32' },
      { name: 'signature', type: 'bytes' },
    ],
    outputs: [{ name: '', type: 'bytes4' }],
  },
] as const;

export type CallResult = { reverted: false; data: Hex } | { reverted: true };

/**
 * The chain reads the wallet checks need. Every method throws
 * `AppError('BAD_REQUEST', 'Could not verify wallet signature')` when the node cannot answer;
 * an execution revert is an answer, not a failure.
 */
export interface ChainReader {
  readonly chainId: number;
  getCode(address: Address): Promise<Hex>;
  /** `eth_call` at the latest block; without `to`, `data` runs as init code (a deployless call). */
  call(request: { to?: Address; data: Hex }): Promise<CallResult>;
}

export interface ChainReaderOptions {
  rpcUrl: string;
  chainId: number;
  /** Per RPC request. No retries: the client retries the whole request, as the wire tells it to. */
  timeoutMs?: number;
}

export function createChainReader({ rpcUrl, chainId, timeoutMs = 5_000 }: ChainReaderOptions): ChainReader {
  let connection: Promise<{ viem: Viem; client: PublicClient }> | undefined;
  let chainConfirmed = false;

  const read = async <T>(run: (client: PublicClient) => Promise<T>): Promise<T> => {
    connection ??= loadViem().then((v) => ({
      viem: v,
      client: v.createPublicClient({ transport: v.http(rpcUrl, { timeout: timeoutMs, retryCount: 0 }) }),
    }));
    const { viem: v, client } = await connection;
    try {
      // Reading balances on another chain than the configured one would gate minting on the
      // wrong token, so the node's chain is checked once before its first answer counts.
      if (!chainConfirmed) {
        const reported = Number(await client.request({ method: 'eth_chainId' }));
        if (reported !== chainId) throw new Error(`RPC serves chain ${reported}, configured chain is ${chainId}`);
        chainConfirmed = true;
      }
      return await run(client);
    } catch (e) {
      if (isExecutionRevert(v, e)) throw new ExecutionReverted();
      throw new AppError('BAD_REQUEST', RPC_FAILED, { cause: e });
    }
  };

  return {
    chainId,
    getCode: (address) => read((client) => client.request({ method: 'eth_getCode', params: [address, 'latest'] })),
    async call({ to, data }) {
      try {
        const returned = await read((client) =>
          client.request({ method: 'eth_call', params: [to === undefined ? { data } : { to, data }, 'latest'] }),
        );
        return { reverted: false, data: returned };
      } catch (e) {
        if (e instanceof ExecutionReverted) return { reverted: true };
        throw e;
      }
    },
  };
}

class ExecutionReverted extends Error {}

/**
 * Nodes report a revert as JSON-RPC error 3 (geth and most providers) or as a -32000 whose
 * message says so; any other error means the node did not run the call.
 */
function isExecutionRevert(v: Viem, error: unknown): boolean {
  if (!(error instanceof v.BaseError)) return false;
  const rpcError = error.walk((e) => e instanceof v.RpcRequestError);
  return rpcError instanceof v.RpcRequestError && (rpcError.code === 3 || /revert/i.test(rpcError.details));
}

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * Accepts an address in one case (no checksum to check) or mixed case with a correct EIP-55
 * checksum, and returns the checksummed form. Async because the checksum needs viem's keccak.
 */
export async function parseWalletAddress(input: string): Promise<Address> {
  if (typeof input !== 'string' || !HEX_ADDRESS.test(input)) throw new AppError('BAD_REQUEST', INVALID_ADDRESS);
  const { getAddress } = await loadViem();
  const checksummed = getAddress(input.toLowerCase());
  const digits = input.slice(2);
  const oneCase = digits === digits.toLowerCase() || digits === digits.toUpperCase();
  if (!oneCase && input !== checksummed) throw new AppError('BAD_REQUEST', INVALID_ADDRESS);
  return checksummed;
}

export type WalletSignatureKind = 'eoa' | 'erc1271' | 'erc6492';

/**
 * Resolves with how `signature` proved to be `address`'s EIP-191 signature of `message`, or
 * throws 'Wallet signature does not match' / 'Could not verify wallet signature'.
 *
 * A signature that does not recover to `address` is only a mismatch once the node has said the
 * address holds no code: otherwise it may still be a contract wallet's valid signature.
 */
export async function verifyWalletSignature({
  address,
  message,
  signature,
  rpc,
}: {
  address: string;
  message: string;
  signature: string;
  rpc: ChainReader;
}): Promise<WalletSignatureKind> {
  const wallet = await parseWalletAddress(address);
  const v = await loadViem();
  if (!v.isHex(signature, { strict: true }) || signature.length % 2 !== 0) {
    throw new AppError('BAD_REQUEST', SIGNATURE_MISMATCH);
  }
  const hash = v.hashMessage(message);

  if (v.isErc6492Signature(signature)) {
    // The universal validator deploys the wallet inside the call if needed, then asks it.
    const result = await rpc.call({
      data: v.encodeDeployData({
        abi: v.erc6492SignatureValidatorAbi,
        bytecode: v.erc6492SignatureValidatorByteCode,
        args: [wallet, hash, signature],
      }),
    });
    // The validator's constructor returns a single byte, 0x01 for valid.
    if (!result.reverted && result.data === '0x01') return 'erc6492';
    throw new AppError('BAD_REQUEST', SIGNATURE_MISMATCH);
  }

  const recovered = await v.recoverAddress({ hash, signature }).catch(() => undefined);
  if (recovered === wallet) return 'eoa';

  if ((await rpc.getCode(wallet)) === '0x') throw new AppError('BAD_REQUEST', SIGNATURE_MISMATCH);
  const result = await rpc.call({
    to: wallet,
    data: v.encodeFunctionData({ abi: erc1271Abi, functionName: 'isValidSignature', args: [hash, signature] }),
  });
  if (!result.reverted && result.data.slice(0, 66).toLowerCase() === ERC1271_VALID) return 'erc1271';
  throw new AppError('BAD_REQUEST', SIGNATURE_MISMATCH);
}

/** ERC-20 `balanceOf`; a node failure, a revert or an undecodable answer all mean the balance is unknown. */
export async function readTokenBalance({
  address,
  tokenAddress,
  rpc,
}: {
  address: Address;
  tokenAddress: Address;
  rpc: ChainReader;
}): Promise<bigint> {
  const v = await loadViem();
  const result = await rpc.call({
    to: tokenAddress,
    data: v.encodeFunctionData({ abi: v.erc20Abi, functionName: 'balanceOf', args: [address] }),
  });
  if (result.reverted) throw new AppError('BAD_REQUEST', RPC_FAILED);
  try {
    return v.decodeFunctionResult({ abi: v.erc20Abi, functionName: 'balanceOf', data: result.data });
  } catch (e) {
    throw new AppError('BAD_REQUEST', RPC_FAILED, { cause: e });
  }
}

export function assertStaked({
  balance,
  minBalance,
  address,
}: {
  balance: bigint;
  minBalance: bigint;
  address: string;
}): void {
  if (balance < minBalance) throw new AppError('BAD_REQUEST', `Wallet ${address} has no staked VVV on Base`);
}
