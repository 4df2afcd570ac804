import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JSON-RPC error object as a node sends it; thrown by method handlers. */
export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export type JsonRpcMethods = Record<string, (params: unknown[]) => Promise<unknown>>;

/**
 * Ways a real RPC provider fails, so tests reach the server's "could not verify" path with the
 * chain itself rather than with a stand-in: no answer at all, an HTTP error, a JSON-RPC error.
 */
export type Outage = 'no-answer' | 'http-503' | 'rate-limited';

export interface JsonRpcServer {
  readonly url: string;
  setOutage(outage: Outage | null): void;
  /** Closes the port and drops open connections; later requests are refused. */
  stop(): Promise<void>;
}

interface Request {
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export async function serveJsonRpc(methods: JsonRpcMethods): Promise<JsonRpcServer> {
  let outage: Outage | null = null;

  const answer = async (request: Request): Promise<object> => {
    const id = request.id ?? null;
    const handler = typeof request.method === 'string' ? methods[request.method] : undefined;
    if (handler === undefined) {
      return { jsonrpc: '2.0', id, error: { code: -32601, message: `method ${String(request.method)} not supported` } };
    }
    try {
      const params = Array.isArray(request.params) ? request.params : [];
      return { jsonrpc: '2.0', id, result: await handler(params) };
    } catch (e) {
      const error =
        e instanceof JsonRpcError
          ? { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) }
          : { code: -32603, message: e instanceof Error ? e.message : String(e) };
      return { jsonrpc: '2.0', id, error };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (outage === 'no-answer') return;
    if (outage === 'http-503') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('service unavailable');
      return;
    }
    let body: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    const respond =
      outage === 'rate-limited'
        ? async (r: Request) => ({
            jsonrpc: '2.0',
            id: r.id ?? null,
            error: { code: -32005, message: 'limit exceeded' },
          })
        : answer;
    const reply = Array.isArray(body)
      ? await Promise.all(body.map((r: Request) => respond(r)))
      : await respond(body as Request);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(reply, (_key, value: unknown) => (typeof value === 'bigint' ? `0x${value.toString(16)}` : value)),
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => res.destroy(e instanceof Error ? e : undefined));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setOutage(next) {
      outage = next;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
