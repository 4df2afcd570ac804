import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { createEVM, type EVM, EVMError, type EVMResult } from '@ethereumjs/evm';
import { bytesToHex, createAddressFromString, createZeroAddress, hexToBytes } from '@ethereumjs/util';
import { type Address, getAddress, type Hex } from 'viem';

export interface Message {
  from?: Address;
  /** Omitted: `data` is init code and the message creates a contract (deployless when called). */
  to?: Address;
  data?: Hex;
  value?: bigint;
  gas?: bigint;
}

export type Outcome =
  | { status: 'success'; returnData: Hex; createdAddress?: Address }
  | { status: 'reverted'; returnData: Hex }
  | { status: 'failed'; reason: string };

const BLOCK_GAS_LIMIT = 30_000_000n;

/**
 * An in-memory EVM with one head block and no history: every transaction mines a block, every
 * call reads the head. Enough of a chain for reads, deployless calls and test set-up.
 */
export class LocalEvm {
  /** One operation at a time: the EVM keeps its journal on the instance, so interleaved runs would corrupt state. */
  private queue: Promise<unknown> = Promise.resolve();
  private head = { number: 0n, timestamp: BigInt(Math.floor(Date.now() / 1000)) };

  private constructor(
    readonly chainId: number,
    private readonly evm: EVM,
  ) {}

  static async create(chainId: number): Promise<LocalEvm> {
    const common = createCustomCommon({ chainId, name: `local-${chainId}` }, Mainnet);
    return new LocalEvm(chainId, await createEVM({ common }));
  }

  get blockNumber(): bigint {
    return this.head.number;
  }

  /** Runs `message` and keeps its effects, as a mined transaction would. */
  transact(message: Message): Promise<Outcome> {
    return this.exclusive(async () => {
      const block = { number: this.head.number + 1n, timestamp: BigInt(Math.floor(Date.now() / 1000)) };
      const outcome = await this.run(message, block);
      this.head = block;
      return outcome;
    });
  }

  /** Runs `message` against the head and throws its effects away, as `eth_call` does. */
  call(message: Message): Promise<Outcome> {
    return this.exclusive(async () => {
      const state = this.evm.stateManager;
      await state.checkpoint();
      try {
        return await this.run(message, this.head);
      } finally {
        await state.revert();
      }
    });
  }

  getCode(address: Address): Promise<Hex> {
    return this.exclusive(async () =>
      bytesToHex(await this.evm.stateManager.getCode(createAddressFromString(address))),
    );
  }

  getBalance(address: Address): Promise<bigint> {
    return this.exclusive(async () => {
      const account = await this.evm.stateManager.getAccount(createAddressFromString(address));
      return account?.balance ?? 0n;
    });
  }

  private async run(message: Message, head: { number: bigint; timestamp: bigint }): Promise<Outcome> {
    const caller = message.from === undefined ? createZeroAddress() : createAddressFromString(message.from);
    let result: EVMResult;
    try {
      result = await this.evm.runCall({
        caller,
        origin: caller,
        ...(message.to === undefined ? {} : { to: createAddressFromString(message.to) }),
        data: hexToBytes(message.data ?? '0x'),
        value: message.value ?? 0n,
        gasLimit: message.gas ?? BLOCK_GAS_LIMIT,
        // Test accounts need no ether: gas is free and a missing balance is topped up to `value`.
        gasPrice: 0n,
        skipBalance: true,
        block: {
          header: {
            number: head.number,
            timestamp: head.timestamp,
            coinbase: createZeroAddress(),
            difficulty: 0n,
            prevRandao: new Uint8Array(32),
            gasLimit: BLOCK_GAS_LIMIT,
            baseFeePerGas: 0n,
            getBlobGasPrice: () => undefined,
          },
        },
      });
    } finally {
      await this.evm.journal.cleanup();
    }
    const { exceptionError, returnValue } = result.execResult;
    if (exceptionError === undefined) {
      return {
        status: 'success',
        returnData: bytesToHex(returnValue),
        ...(result.createdAddress === undefined
          ? {}
          : { createdAddress: getAddress(result.createdAddress.toString()) }),
      };
    }
    if (exceptionError.error === EVMError.errorMessages.REVERT) {
      return { status: 'reverted', returnData: bytesToHex(returnValue) };
    }
    return { status: 'failed', reason: exceptionError.error };
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
