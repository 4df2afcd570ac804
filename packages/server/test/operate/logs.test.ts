import { Writable } from 'node:stream';
import pino from 'pino';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { sqliteFactory } from '../support/stores.js';

/** What an operator reads in the log for the expected web3 failures: a warning with the cause, never a stack. */
describe('web3 log lines', () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const apps: TestApp[] = [];
  const disposers: Array<() => Promise<void>> = [];
  const open = async (web3: Record<string, unknown>) => {
    const opened = await sqliteFactory.open();
    disposers.push(opened.dispose);
    const t = await buildTestApp(opened.store, { logger, config: { web3 } });
    apps.push(t);
    return t;
  };
  let off: TestApp;
  let unreachable: TestApp;
  beforeAll(async () => {
    off = await open({});
    unreachable = await open({ enabled: true, rpcUrl: 'http://127.0.0.1:1/', rpcTimeoutMs: 1_000 });
  });
  afterAll(async () => {
    for (const t of apps) await t.app.close();
    for (const d of disposers) await d();
  });

  it('web3 off (the default): 503, logged at warn without a stack', async () => {
    const res = await off.app.inject({ method: 'GET', url: '/api/v1/api_keys/generate_web3_key' });
    expect(res.statusCode).toBe(503);
    const line = lines.find((l) => l.reqId === res.headers['x-request-id'] && l.msg !== 'request completed');
    expect(line).toMatchObject({
      level: 40,
      msg: 'Web3 key generation is disabled on this server',
      code: 'UNAVAILABLE',
    });
    expect(JSON.stringify(line)).not.toContain('"stack"');
  });

  it('an unreachable RPC: 400 "Could not verify wallet signature", logged at warn with its cause', async () => {
    const token = (await unreachable.app.inject({ method: 'GET', url: '/api/v1/api_keys/generate_web3_key' })).json()
      .data.token as string;
    const wallet = privateKeyToAccount(generatePrivateKey());
    const res = await unreachable.app.inject({
      method: 'POST',
      url: '/api/v1/api_keys/generate_web3_key',
      payload: {
        address: wallet.address,
        signature: await wallet.signMessage({ message: token }),
        token,
        apiKeyType: 'INFERENCE',
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toContain('Could not verify wallet signature');
    const line = lines.find((l) => l.reqId === res.headers['x-request-id'] && l.msg !== 'request completed');
    expect(line).toMatchObject({ level: 40, msg: 'Could not verify wallet signature' });
    expect(typeof line?.cause).toBe('string');
    expect(String(line?.cause).length).toBeGreaterThan(0);
    expect(JSON.stringify(line)).not.toContain('"stack"');
  });
});
