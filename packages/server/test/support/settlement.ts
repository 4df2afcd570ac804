import type { SettlementRecord } from '../../src/domain/ports/ledger.js';
import { newOrderedId } from '../../src/domain/secrets.js';

/** A settlement of one input line worth `usd` micro-USD, for the ledger's own tests. */
export const settlement = (usd = 3n, reservationId = newOrderedId()): SettlementRecord => ({
  reservationId,
  accountId: 'account',
  apiKeyId: 'key',
  requestId: newOrderedId(),
  modelId: 'm',
  at: Date.now(),
  day: 20_000,
  charge: { usd, diem: 0n },
  promptTokens: 10,
  completionTokens: 0,
  executionMs: 1,
  entries: [
    {
      id: newOrderedId(),
      sku: 'm-llm-input-mtoken',
      kind: 'input',
      tokens: 10n,
      pricePerMTok: 100_000n,
      amount: usd,
      currency: 'USD',
      requests: 1,
    },
  ],
});
