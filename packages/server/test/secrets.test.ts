import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { digestSecret } from '../src/domain/secrets.js';
import { openSqliteStore } from '../src/storage/sqlite.js';
import { bearer, buildTestApp, newAccount } from './support/app.js';

describe('secrets at rest and in logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps only digests in the SQLite file and no secret in logs or error bodies', async () => {
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const store = await openSqliteStore(join(dir, 'scan.db'));
    const t = await buildTestApp(store, { logger });
    const { app } = t;
    const acct = await newAccount(t);
    const secrets = [acct.adminKey];
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/api_keys',
        headers: { ...bearer(acct.adminKey), 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(body),
      });
    for (let i = 0; i < 10; i++) {
      const res = await post(
        { apiKeyType: i % 2 ? 'ADMIN' : 'INFERENCE', description: `scan ${i}` },
        { 'idempotency-key': `idem-${i}` },
      );
      secrets.push(res.json().data.apiKey);
      const replay = await post(
        { apiKeyType: i % 2 ? 'ADMIN' : 'INFERENCE', description: `scan ${i}` },
        { 'idempotency-key': `idem-${i}` },
      );
      expect(replay.json().data.apiKey).toBe(res.json().data.apiKey);
    }
    const victim = secrets[1] as string;
    const listed = await app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(acct.adminKey) });
    const { id } = listed.json().data.find((k: { last6Chars: string }) => k.last6Chars === victim.slice(-6));
    await app.inject({ method: 'DELETE', url: `/api/v1/api_keys?id=${id}`, headers: bearer(acct.adminKey) });
    // Error paths that see a secret must not echo it.
    const refused = await app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(victim) });
    expect(refused.json()).toEqual({ error: 'Authentication failed' });
    const inference = secrets[2] as string;
    const wrongType = await app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(inference) });
    expect(wrongType.body).not.toContain(inference);
    for (const res of [refused, wrongType, listed]) for (const s of secrets) expect(res.body).not.toContain(s);

    await app.close();
    await store.close();

    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
    const haystack = Buffer.concat(files);
    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(20);
    for (const s of secrets) {
      // The scan reads the right bytes: each key's digest is there.
      expect(haystack.includes(digestSecret(s))).toBe(true);
      expect(haystack.includes(s)).toBe(false);
      expect(haystack.includes(s.slice(-44))).toBe(false);
      expect(haystack.includes(Buffer.from(s, 'utf16le'))).toBe(false);
      expect(logs).not.toContain(s.slice(-44));
    }
    expect(haystack.includes('idem-3')).toBe(false);
  });
});
