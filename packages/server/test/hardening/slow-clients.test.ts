import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/app.js';
import { sqliteFactory } from '../support/stores.js';

const PATH = '/api/v1/api_keys/generate_web3_key';

/** A client that sends the headers, then one byte of the body every `everyMs`, and never finishes. */
function trickler(port: number, everyMs = 200): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n`);
  const timer = setInterval(() => socket.writable && socket.write(' '), everyMs);
  let data = '';
  socket.on('data', (d) => {
    data += d.toString();
  });
  const answer = new Promise<string>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(data);
    }),
  );
  socket.on('error', () => {});
  return { socket, answer };
}

/** Issue 10 item 2: slow clients cannot hold connections or shutdown forever. */
describe('slow clients', () => {
  it('a body trickled past the request timeout gets 408 and its connection closes (was: 10 of 10 open after 125 s)', async () => {
    const { store, dispose } = await sqliteFactory.open();
    const t = await buildTestApp(store, { config: { limits: { requestTimeoutMs: 1_500 } } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const clients = Array.from({ length: 10 }, () => trickler(port));
    const answers = await Promise.all(clients.map((c) => c.answer));
    for (const a of answers) {
      expect(a).toMatch(/^HTTP\/1\.1 408 /);
      expect(a.slice(a.indexOf('\r\n\r\n') + 4)).toBe('{"error":"Request timeout"}');
      expect(a).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    }
    await t.app.close();
    await dispose();
  });

  it('graceful close finishes while a client trickles a body (was: never)', async () => {
    const { store, dispose } = await sqliteFactory.open();
    const t = await buildTestApp(store, { config: { limits: { requestTimeoutMs: 1_500 } } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const slow = trickler((t.app.server.address() as AddressInfo).port);
    await new Promise((r) => setTimeout(r, 300));
    await t.app.close();
    expect(await slow.answer).toMatch(/^HTTP\/1\.1 (408|503) /);
    await dispose();
  });

  it('one address holds at most connectionsPerClient connections; the next one gets 429', async () => {
    const { store, dispose } = await sqliteFactory.open();
    const t = await buildTestApp(store, { config: { limits: { connectionsPerClient: 5 } } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const held = Array.from({ length: 5 }, () => trickler(port, 100));
    await new Promise((r) => setTimeout(r, 300));
    const sixth = trickler(port);
    const refused = await sixth.answer;
    expect(refused).toMatch(/^HTTP\/1\.1 429 /);
    expect(refused.slice(refused.indexOf('\r\n\r\n') + 4)).toBe('{"error":"Too many connections from this address"}');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.answer));
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/nope`);
    expect(res.status).toBe(404);
    await t.app.close();
    await dispose();
  });

  it('a request pipelined behind one in flight when the server starts closing gets 503 in the contract shape', async () => {
    const { store, dispose } = await sqliteFactory.open();
    const t = await buildTestApp(store);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const socket = connect((t.app.server.address() as AddressInfo).port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString();
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    // The first request's body is still owed when close starts, so its connection is not idle.
    socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = t.app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write('{}GET /api/v1/api_keys HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    await closing;
    await dispose();
    const answers = data.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    const second = answers[1] as string;
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(second).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    expect(second.slice(second.indexOf('\r\n\r\n') + 4)).toBe(
      '{"error":"The server is shutting down; retry the request."}',
    );
  });
});
