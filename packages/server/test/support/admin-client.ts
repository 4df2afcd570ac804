import { bearer, type TestAccount, type TestApp } from './app.js';

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const json = { 'content-type': 'application/json' };

/** Requests to the admin API of a test app, as route tests send them. */
export function adminClient(t: TestApp) {
  const get = (url: string, secret: string) => t.app.inject({ method: 'GET', url, headers: bearer(secret) });
  const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, secret: string, body?: unknown, headers = {}) =>
    t.app.inject({
      method,
      url,
      headers: { ...bearer(secret), ...json, ...headers },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
  const create = (acct: TestAccount, body: unknown, headers = {}) =>
    send('POST', '/api/v1/api_keys', acct.adminKey, body, headers);
  return { get, send, create };
}
