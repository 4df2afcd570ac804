/** Web3 token ids that have minted a key: each token mints at most one. */
export interface Web3TokenStore {
  /** Whether a web3 token id has minted a key already (a read; the atomic mark is `Web3TokenTx.useWeb3Token`). */
  isWeb3TokenUsed(jti: string): Promise<boolean>;
  /** Forgets used tokens that expired before `now` (an expired token is refused anyway); returns how many. */
  pruneWeb3Tokens(now: number): Promise<number>;
}

/** Inside an account's serialised transaction. */
export interface Web3TokenTx {
  /** Marks a web3 token used; false when it already was. Rolled back with the transaction. */
  useWeb3Token(jti: string, at: number, expiresAt: number): Promise<boolean>;
}

/** The signed, short-lived challenge a wallet signs: issued and checked by the server alone. */
export interface Web3Challenges {
  issue(): Promise<{ token: string }>;
  /** The token's id and expiry, or AppError('BAD_REQUEST') with the wire's message (malformed, signature, expiry, claims). */
  verify(token: string): Promise<{ jti: string; expiresAtMs: number }>;
}
