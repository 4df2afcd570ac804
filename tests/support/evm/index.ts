import {
  type Address,
  decodeFunctionResult,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddress,
  isHex,
  numberToHex,
  zeroHash,
} from 'viem';
import { type ContractName, contracts } from './contracts.js';
import { JsonRpcError, type JsonRpcMethods, type Outage, serveJsonRpc } from './json-rpc-server.js';
import { LocalEvm, type Message, type Outcome } from './local-evm.js';

export { contracts } from './contracts.js';
export type { Outage } from './json-rpc-server.js';

export interface CounterfactualWallet {
  /** Where the wallet will live once its factory deploys it; no code there yet. */
  address: Address;
  factory: Address;
  /** The call to `factory` that deploys the wallet: the `data` of an ERC-6492 signature. */
  factoryCalldata: Hex;
}

export interface LocalChain {
  /** JSON-RPC endpoint on loopback. */
  readonly url: string;
  readonly chainId: number;
  /** The account that deploys and mints when a test does not say otherwise. */
  readonly deployer: Address;
  deploy(name: ContractName, args?: readonly unknown[]): Promise<Address>;
  /** Mines `message` (from the deployer by default); throws unless it succeeds. */
  send(message: Message): Promise<Hex>;
  getCode(address: Address): Promise<Hex>;
  deployErc20(): Promise<Address>;
  mint(token: Address, to: Address, amount: bigint): Promise<void>;
  /** An ERC-1271 wallet owned by `owner`, deployed now. */
  deploySmartWallet(owner: Address): Promise<Address>;
  /** An ERC-1271 wallet owned by `owner` that its CREATE2 factory has not deployed yet. */
  counterfactualWallet(owner: Address, salt?: Hex): Promise<CounterfactualWallet>;
  /** Makes the RPC endpoint fail like a provider in trouble until called with `null`. */
  setOutage(outage: Outage | null): void;
  /** Stops answering: the port is closed and connections are dropped. */
  stop(): Promise<void>;
}

const DEPLOYER = getAddress('0xde91000000000000000000000000000000000001');

export async function startLocalChain({ chainId = 8453 }: { chainId?: number } = {}): Promise<LocalChain> {
  const evm = await LocalEvm.create(chainId);
  const rpc = await serveJsonRpc(rpcMethods(evm));

  const send = async (message: Message): Promise<Hex> => {
    const outcome = await evm.transact({ from: DEPLOYER, ...message });
    return expectSuccess(outcome).returnData;
  };

  const deploy = async (name: ContractName, args: readonly unknown[] = []): Promise<Address> => {
    const { abi, bytecode } = contracts[name];
    const outcome = expectSuccess(
      await evm.transact({ from: DEPLOYER, data: encodeDeployData({ abi, bytecode, args }) }),
    );
    if (outcome.createdAddress === undefined) throw new Error(`deploying ${name} created no contract`);
    return outcome.createdAddress;
  };

  let factory: Promise<Address> | undefined;

  return {
    url: rpc.url,
    chainId,
    deployer: DEPLOYER,
    deploy,
    send,
    getCode: (address) => evm.getCode(address),
    deployErc20: () => deploy('TestStakedToken'),
    async mint(token, to, amount) {
      const { abi } = contracts.TestStakedToken;
      await send({ to: token, data: encodeFunctionData({ abi, functionName: 'mint', args: [to, amount] }) });
    },
    deploySmartWallet: (owner) => deploy('OwnedWallet', [owner]),
    async counterfactualWallet(owner, salt = zeroHash) {
      factory ??= deploy('OwnedWalletFactory');
      const factoryAddress = await factory;
      const { abi } = contracts.OwnedWalletFactory;
      const predicted = await evm.call({
        to: factoryAddress,
        data: encodeFunctionData({ abi, functionName: 'walletAddress', args: [owner, salt] }),
      });
      const address = decodeFunctionResult({
        abi,
        functionName: 'walletAddress',
        data: expectSuccess(predicted).returnData,
      }) as Address;
      return {
        address,
        factory: factoryAddress,
        factoryCalldata: encodeFunctionData({ abi, functionName: 'createWallet', args: [owner, salt] }),
      };
    },
    setOutage: (outage) => rpc.setOutage(outage),
    stop: () => rpc.stop(),
  };
}

function expectSuccess(outcome: Outcome): Extract<Outcome, { status: 'success' }> {
  if (outcome.status === 'success') return outcome;
  const detail = outcome.status === 'reverted' ? `reverted with ${outcome.returnData}` : outcome.reason;
  throw new Error(`local chain: transaction failed: ${detail}`);
}

/** The read-only slice of the node API that signature and balance checks use. */
function rpcMethods(evm: LocalEvm): JsonRpcMethods {
  return {
    eth_chainId: async () => numberToHex(evm.chainId),
    net_version: async () => String(evm.chainId),
    eth_blockNumber: async () => numberToHex(evm.blockNumber),
    // The chain keeps no history, so every block tag reads the head.
    eth_getCode: async ([address]) => evm.getCode(addressParam(address)),
    eth_getBalance: async ([address]) => numberToHex(await evm.getBalance(addressParam(address))),
    eth_call: async ([request]) => {
      const outcome = await evm.call(callParam(request));
      // The error shapes geth uses, which is what clients parse.
      if (outcome.status === 'reverted') throw new JsonRpcError(3, 'execution reverted', outcome.returnData);
      if (outcome.status === 'failed') throw new JsonRpcError(-32000, outcome.reason);
      return outcome.returnData;
    },
  };
}

function addressParam(value: unknown): Address {
  if (typeof value !== 'string' || !isAddress(value, { strict: false })) {
    throw new JsonRpcError(-32602, `invalid address: ${String(value)}`);
  }
  return getAddress(value);
}

function quantityParam(value: unknown): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !isHex(value)) throw new JsonRpcError(-32602, `invalid quantity: ${String(value)}`);
  return BigInt(value);
}

function callParam(value: unknown): Message {
  if (typeof value !== 'object' || value === null) throw new JsonRpcError(-32602, 'missing call object');
  const { from, to, data, input, value: amount, gas } = value as Record<string, unknown>;
  const payload = input ?? data;
  if (payload !== undefined && (typeof payload !== 'string' || !isHex(payload))) {
    throw new JsonRpcError(-32602, 'invalid call data');
  }
  const message: Message = {};
  if (from !== undefined && from !== null) message.from = addressParam(from);
  if (to !== undefined && to !== null) message.to = addressParam(to);
  if (payload !== undefined) message.data = payload;
  const wei = quantityParam(amount);
  if (wei !== undefined) message.value = wei;
  const gasLimit = quantityParam(gas);
  if (gasLimit !== undefined) message.gas = gasLimit;
  return message;
}
