import { minBig } from '../money.js';
import type { LedgerCurrency, LedgerEntry, LedgerKind } from '../ports/ledger.js';
import type { Charge } from '../ports/reservations.js';

const MILLION = 1_000_000n;
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Micro-USD per million tokens, as the catalog prices a model. */
export interface Prices {
  inputPerMTok: bigint;
  outputPerMTok: bigint;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * What each SKU of a usage costs, each rounded up to a micro-unit. Rounding per SKU (not once for the
 * total) keeps the ledger lines summing exactly to the charge, and the cost stays monotone in the token
 * counts, so the cost of true upper bounds bounds every real usage.
 */
export function skuCosts(prices: Prices, usage: Usage): { input: bigint; output: bigint } {
  return {
    input: ceilDiv(BigInt(usage.promptTokens) * prices.inputPerMTok, MILLION),
    output: ceilDiv(BigInt(usage.completionTokens) * prices.outputPerMTok, MILLION),
  };
}

export function costOfUsage(prices: Prices, usage: Usage): bigint {
  const c = skuCosts(prices, usage);
  return c.input + c.output;
}

export interface EntryInput {
  modelId: string;
  embedding: boolean;
  prices: Prices;
  usage: Usage;
  /** What was charged (already capped at the hold): DIEM is spent on input first, then output. */
  charge: Charge;
  /** Currency of a line that costs nothing (the one the request would have drawn first). */
  freeCurrency: LedgerCurrency;
  newId(): string;
}

/**
 * The ledger lines of one settlement, in Venice's SKU shape: per SKU one line per currency that paid for
 * it; tokens are split between the currencies in proportion to the amounts (their sum stays exact).
 */
export function ledgerEntries(e: EntryInput): LedgerEntry[] {
  const full = skuCosts(e.prices, e.usage);
  // The charge may be below the full cost (capped at the hold): take the cut from output first.
  const input = minBig(full.input, e.charge.usd + e.charge.diem);
  const output = e.charge.usd + e.charge.diem - input;
  const diemIn = minBig(input, e.charge.diem);
  const parts: { kind: LedgerKind; tokens: number; price: bigint; diem: bigint; usd: bigint }[] = [
    { kind: 'input', tokens: e.usage.promptTokens, price: e.prices.inputPerMTok, diem: diemIn, usd: input - diemIn },
    {
      kind: 'output',
      tokens: e.usage.completionTokens,
      price: e.prices.outputPerMTok,
      diem: e.charge.diem - diemIn,
      usd: output - (e.charge.diem - diemIn),
    },
  ];
  const entries: LedgerEntry[] = [];
  for (const p of parts) {
    if (p.tokens === 0 && p.diem + p.usd === 0n) continue;
    const sku = `${e.modelId}-${e.embedding ? 'embedding' : 'llm'}-${p.kind}-mtoken`;
    const tokens = BigInt(p.tokens);
    const amount = p.diem + p.usd;
    const lines: [LedgerCurrency, bigint][] =
      amount === 0n
        ? [[e.freeCurrency, 0n]]
        : (
            [
              ['DIEM', p.diem],
              ['USD', p.usd],
            ] as [LedgerCurrency, bigint][]
          ).filter(([, a]) => a > 0n);
    let tokensLeft = tokens;
    for (const [i, [currency, a]] of lines.entries()) {
      const share = i === lines.length - 1 ? tokensLeft : amount === 0n ? tokens : (tokens * a) / amount;
      tokensLeft -= share;
      entries.push({
        id: e.newId(),
        sku,
        kind: p.kind,
        tokens: share,
        pricePerMTok: p.price,
        amount: a,
        currency,
        requests: entries.length === 0 ? 1 : 0,
      });
    }
  }
  return entries;
}
