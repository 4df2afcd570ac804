import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newAccount, newKey, type TestAccount } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { rawRequest } from '../support/raw-http.js';
import { sqliteFactory } from '../support/stores.js';

interface CorpusEntry {
  /**
   * Request line and headers, with {ADMIN}, {INFERENCE}, {KEYID}, {KEYID_UPPER} for the secrets and
   * ids of this run and {BIG} for a 20,000-byte header value.
   */
  request: string;
  bodyHex: string;
  expect: { status: number; error?: string };
}

/**
 * The fuzz corpus of the hardening pass (issue 10), kept: malformed request lines, duplicate and
 * oversized headers, unknown methods, bad encodings, lax descriptions, long ids, chunked bodies,
 * sent as raw bytes in a fixed order. Each answer must stay what it was when the corpus was
 * recorded, and every answer is JSON in the contract's shape with a request id, never a 500.
 */
const corpus = JSON.parse(readFileSync(new URL('./fuzz-corpus.json', import.meta.url), 'utf8')) as CorpusEntry[];

describe(`the fuzz corpus (${corpus.length} requests)`, () => {
  const t = useTestApp(sqliteFactory, { listen: true, config: { limits: { keyCreatesPerMinute: 100_000 } } });
  let acct: TestAccount;
  let fill: (s: string) => string;
  beforeAll(async () => {
    acct = await newAccount(t);
    const inference = await newKey(t, acct.accountId);
    fill = (s) =>
      s
        .replaceAll('{ADMIN}', acct.adminKey)
        .replaceAll('{INFERENCE}', inference.secret)
        .replaceAll('{KEYID_UPPER}', inference.id.toUpperCase())
        .replaceAll('{KEYID}', inference.id)
        .replaceAll('{BIG}', 'b'.repeat(20_000));
  });

  it('answers every request as recorded, in the contract shape, never with a 500', async () => {
    const mismatches: string[] = [];
    for (const [i, entry] of corpus.entries()) {
      const body = Buffer.from(fill(Buffer.from(entry.bodyHex, 'hex').toString('latin1')), 'latin1');
      const a = await rawRequest(t.port, Buffer.concat([Buffer.from(fill(entry.request), 'latin1'), body]));
      const json = a.body === '' ? undefined : (JSON.parse(a.body) as { error?: string });
      const got = { status: a.status, ...(a.status >= 400 && json ? { error: json.error } : {}) };
      if (JSON.stringify(got) !== JSON.stringify(entry.expect)) mismatches.push(`#${i}: ${JSON.stringify(got)}`);
      expect(a.headers['x-request-id'], `#${i}`).toBeTruthy();
      expect(a.status, `#${i}`).not.toBe(500);
      if (a.status === 503 && json) expect(json.error).toBe('Web3 key generation is disabled on this server');
      if (a.status >= 400 && json) expect(Object.keys(json), `#${i}`).toEqual(['error']);
    }
    expect(mismatches).toEqual([]);
    // The corpus leaves the account usable: its ADMIN key still lists keys.
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(acct.adminKey) })).statusCode,
    ).toBe(200);
  });
});
