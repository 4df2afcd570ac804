import { describe, expect, it } from 'vitest';
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
  VeniceError,
} from '../src/index.js';
import { client, fakeFetch, json } from './support.js';

const failWith = async (response: Response) => {
  const f = fakeFetch(response);
  return client(f.fetch, { maxRetries: 0 })
    .apiKeys.retrieve('x')
    .catch((e: unknown) => e);
};

describe('errors', () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [402, PaymentRequiredError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [429, RateLimitError],
    [500, InternalServerError],
    [503, InternalServerError],
    [418, APIError],
  ])('maps %i to its class', async (status, Class) => {
    const e = await failWith(json(status, { error: 'nope' }, { 'x-request-id': 'r-1' }));
    expect(e).toBeInstanceOf(Class);
    expect(e).toBeInstanceOf(APIError);
    expect(e).toBeInstanceOf(VeniceError);
    expect(e).toMatchObject({ status, body: { error: 'nope' }, requestID: 'r-1', message: `${status} nope` });
    expect((e as APIError).headers.get('x-request-id')).toBe('r-1');
  });

  it('reads every Venice error body shape', async () => {
    const cases: [Response, string, string | undefined][] = [
      [json(401, { error: 'Authentication failed' }), '401 Authentication failed', undefined],
      [
        json(402, { error: { message: 'Insufficient balance', code: 'INSUFFICIENT_BALANCE' } }),
        '402 Insufficient balance',
        'INSUFFICIENT_BALANCE',
      ],
      [json(400, { error: { detail: 'bad thing' } }), '400 bad thing', undefined],
      [json(429, { error: 'slow down', code: 'RATE_LIMIT' }), '429 slow down', 'RATE_LIMIT'],
      [
        json(400, {
          error: 'Invalid request parameters',
          details: { _errors: [] },
          issues: [
            { code: 'too_big', path: ['description'], message: 'Too big' },
            { code: 'custom', path: [], message: 'Unrecognized key: "x"' },
          ],
        }),
        '400 Invalid request parameters (description: Too big; Unrecognized key: "x")',
        undefined,
      ],
      [
        json(400, {
          error: 'Invalid request parameters',
          details: { _errors: ['Unrecognized key: "x"'], consumptionLimit: { usd: { _errors: ['Too big'] } } },
        }),
        '400 Invalid request parameters (Unrecognized key: "x"; consumptionLimit.usd: Too big)',
        undefined,
      ],
      [
        json(400, {
          error: 'Invalid request parameters',
          issues: ['a', 'b', 'c', 'd'].map((f) => ({ code: 'invalid_type', path: [f], message: 'Required' })),
        }),
        '400 Invalid request parameters (a: Required; b: Required; c: Required (+1 more))',
        undefined,
      ],
      [
        json(402, { x402Version: 2, error: 'Authentication required', accepts: [] }),
        '402 Authentication required',
        undefined,
      ],
      [json(500, { message: 'plain message' }), '500 plain message', undefined],
      [json(500, { unexpected: true }), '500 {"unexpected":true}', undefined],
      [json(500, ['odd']), '500 ["odd"]', undefined],
      [new Response('upstream exploded', { status: 502 }), '502 upstream exploded', undefined],
      [new Response('', { status: 500 }), '500 status code (no body)', undefined],
    ];
    for (const [response, message, code] of cases) {
      const e = (await failWith(response)) as APIError;
      expect(e.message).toBe(message);
      expect(e.code).toBe(code);
    }
  });

  it('gives RateLimitError the wait the server asked for', async () => {
    expect(((await failWith(json(429, { error: 'x' }, { 'retry-after': '7' }))) as RateLimitError).retryAfterMs).toBe(
      7000,
    );
    expect(
      ((await failWith(json(429, { error: 'x' }, { 'retry-after-ms': '250' }))) as RateLimitError).retryAfterMs,
    ).toBe(250);
    expect(((await failWith(json(429, { error: 'x' }))) as RateLimitError).retryAfterMs).toBeUndefined();
  });

  it('reports a non-JSON success body clearly', async () => {
    const f = fakeFetch(new Response('<html>', { status: 200 }));
    await expect(client(f.fetch).apiKeys.list()).rejects.toThrow(/Expected a JSON response/);
  });
});
