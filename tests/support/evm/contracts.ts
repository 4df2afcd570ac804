import { readFileSync } from 'node:fs';
import type { Abi, Hex } from 'viem';

export type ContractName = 'TestStakedToken' | 'OwnedWallet' | 'OwnedWalletFactory';

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

/** Precompiled by scripts/compile-contracts.mjs, so tests never run a compiler. */
const compiled = JSON.parse(
  readFileSync(new URL('../../fixtures/contracts/contracts.json', import.meta.url), 'utf8'),
) as { contracts: Record<ContractName, CompiledContract> };

export const contracts: Record<ContractName, CompiledContract> = compiled.contracts;
