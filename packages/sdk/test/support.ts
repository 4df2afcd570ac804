import { type ClientOptions, VeniceClient } from '../src/index.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Reply =
  | Response
  | Error
  | ((req: RecordedRequest, signal: AbortSignal | undefined) => Promise<Response> | Response);

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? '' : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': `req-${status}`, ...headers },
  });

/** A fetch that records every request and answers from a queue (the last reply repeats). */
export function fakeFetch(...replies: Reply[]) {
  const requests: RecordedRequest[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const req: RecordedRequest = {
      method: init.method ?? 'GET',
      url: String(input),
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(req);
    const reply = replies.length > 1 ? replies.shift()! : replies[0]!;
    if (reply instanceof Error) throw reply;
    if (typeof reply === 'function') return reply(req, init.signal ?? undefined);
    return reply.clone();
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

export const ADMIN = `VENICE_ADMIN_KEY_${'a'.repeat(44)}`;

export function client(fetch: typeof globalThis.fetch, options: ClientOptions = {}) {
  return new VeniceClient({ apiKey: ADMIN, baseURL: 'http://test.local/api/v1', fetch, ...options });
}

export const KEY = {
  id: 'e28e82dc-9df2-4b47-b726-d0a222ef2ab5',
  apiKeyType: 'INFERENCE',
  description: 'backend prod',
  createdAt: '2025-10-01T12:00:00.000Z',
  expiresAt: null,
  lastUsedAt: null,
  last6Chars: '2V2jNW',
  consumptionLimits: { usd: 50, diem: 10, vcu: null },
  limitPeriod: 'MONTH',
  modelPrivacy: 'ALL',
  usage: { trailingSevenDays: { usd: '4.2000', diem: '0.0000', vcu: '0.0000' } },
};

export const CREATED = {
  id: KEY.id,
  apiKey: `VENICE_INFERENCE_KEY_${'s'.repeat(44)}`,
  apiKeyType: 'INFERENCE',
  description: 'backend prod',
  expiresAt: null,
  consumptionLimit: { usd: 50, diem: null, vcu: null },
  limitPeriod: 'EPOCH',
  modelPrivacy: 'ALL',
};

/** A syntactically valid EVM address. */
export const WALLET = '0x45B73055F3aDcC4577Bb709db10B19d11b5c94eE';

/** Everything an async iterable yields, in order. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
