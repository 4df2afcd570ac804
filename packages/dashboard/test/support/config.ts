/**
 * A small catalog: `dash-chat` with room to spare, `dash-burst` with an RPM of 2 to breach. Prices are
 * high enough that one request moves a $0.25 cap's bar visibly, low enough that its worst-case
 * reservation (the prompt's byte-based bound plus 16 output tokens) still fits under that cap.
 */
export function dashboardConfig(upstreamUrl: string) {
  return {
    upstream: { url: upstreamUrl, timeoutMs: 10_000 },
    accounts: { defaultTier: 'paid', startingBalanceUsd: 100, diemEpochAllocation: 0 },
    tiers: { paid: { RPM: 1000, RPD: 100_000, TPM: 10_000_000 } },
    models: [
      {
        id: 'dash-chat',
        upstreamModel: 'dash-chat',
        type: 'text',
        privacy: 'private',
        pricing: { inputUsdPerMTok: 100, outputUsdPerMTok: 200 },
        maxCompletionTokens: 16,
      },
      {
        id: 'dash-burst',
        upstreamModel: 'dash-burst',
        type: 'text',
        privacy: 'private',
        pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 1 },
        maxCompletionTokens: 16,
        rateLimits: { paid: { RPM: 2 } },
      },
    ],
    limits: { keyCreatesPerMinute: 1000 },
  };
}
