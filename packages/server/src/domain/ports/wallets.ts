/** What the web3 mint asks of the chain. Failures are AppError('BAD_REQUEST') with the wire's messages. */
export interface Wallets {
  /** The address in its checksummed form, or 'Invalid wallet address'. */
  parseAddress(input: string): Promise<string>;
  /** Resolves when `signature` is the wallet's EIP-191 signature of `message` (EOA, ERC-1271 or ERC-6492). */
  verifySignature(address: string, message: string, signature: string): Promise<void>;
  /** Resolves when the wallet holds at least the configured stake. */
  assertStaked(address: string): Promise<void>;
}
