import type { VeniceClient } from '@venice-keys/sdk';

/** One chat completion through the gateway with `secret`; its status and headers. */
export async function chat(
  origin: string,
  secret: string,
  model: string,
): Promise<{ status: number; headers: Headers }> {
  const response = await fetch(`${origin}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello to the dashboard test.' }] }),
  });
  await response.body?.cancel();
  return { status: response.status, headers: response.headers };
}

/**
 * Keys whose bars show each colour: each spends through the gateway while uncapped (a cap below the
 * worst case would refuse the request), then gets the cap that puts it at 40 %, 90 % and 100 %.
 */
export async function seedUsageShowcase(origin: string, venice: VeniceClient): Promise<void> {
  for (const [description, share] of [
    ['backend prod', 0.4],
    ['batch jobs', 0.9],
    ['ci runner', 1],
  ] as const) {
    const key = await venice.apiKeys.create({ apiKeyType: 'INFERENCE', description, consumptionLimit: { usd: 50 } });
    const { status } = await chat(origin, key.apiKey, 'dash-chat');
    if (status !== 200) throw new Error(`showcase request for ${description} answered ${status}`);
    const spent = Number((await venice.apiKeys.retrieve(key.id)).currentPeriodUsage?.usd);
    await venice.apiKeys.update({ id: key.id, consumptionLimit: { usd: Math.ceil((spent / share) * 1e6) / 1e6 } });
  }
}
