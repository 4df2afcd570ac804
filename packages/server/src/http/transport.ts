import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * What the HTTP transport answers before a request reaches a route: Node's parser errors, URLs
 * fastify cannot route, CONNECT. Every one is JSON in the contract's shape with a request id, so a
 * client never has to tell our answers from a proxy's.
 */

const PARSER_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request header fields too large'],
};

/** An answer written straight to the socket, which is closed after it: the request could not be read. */
function answerRaw(socket: Duplex, status: number, error: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error });
  const lines = Object.entries({
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': randomUUID(),
    connection: 'close',
    ...headers,
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`);
}

/** Node's `clientError`: a request that could not be parsed or did not arrive in time. */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way cannot be followed by another one on the same socket.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, error] = PARSER_ERRORS[err.code ?? ''] ?? [400, 'Bad request'];
  this.log.debug({ code: err.code }, 'client error');
  answerRaw(socket, status, error);
}

/** Errors fastify raises while routing, before any route or hook runs. */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', req.id);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // Too long to be an id of ours: what a well-formed unknown id gets.
    const error = req.url.startsWith('/api/v1/api_keys/') ? 'API key not found' : 'Not found';
    reply.code(404).send({ error });
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    reply.code(400).send({ error: 'Bad request' });
    return;
  }
  req.log.error({ err: error }, 'routing failed');
  reply.code(500).send({ error: 'Internal server error' });
}

/** CONNECT asks us to be a tunnel, which we are not; Node would otherwise drop the socket without a word. */
export function refuseConnect(app: FastifyInstance): void {
  app.server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    answerRaw(socket, 405, 'Method not allowed');
  });
}

/** HTTP/1.1 requires Host (RFC 9112 §3.2); we say so in our own words rather than Node's empty 400. */
export function requireHost(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request and almost always has nothing to do.
  app.addHook('onRequest', (req, reply, done) => {
    if (req.raw.httpVersion !== '1.1' || req.headers.host) return done();
    reply.code(400).send({ error: 'Missing Host header' });
  });
}

/**
 * A request that reaches a closing server (pipelined behind one still in flight) is refused in the
 * contract's error shape with its request id; fastify's own 503 would carry `message` and `statusCode`.
 */
export function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook, not an async one: it runs on every request and almost always has nothing to do.
  app.addHook('onRequest', (_req, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close').code(503).send({ error: 'The server is shutting down; retry the request.' });
  });
}

/**
 * One client address may hold only so many connections: a slow client trickling bodies cannot take
 * every socket. Behind a trusted proxy every connection comes from the proxy, so the cap is the
 * proxy's job there and is not applied.
 */
export function capConnectionsPerClient(app: FastifyInstance, max: number): void {
  const open = new Map<string, number>();
  app.server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? '';
    const count = open.get(client) ?? 0;
    if (count >= max) {
      answerRaw(socket, 429, 'Too many connections from this address');
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left === 0) open.delete(client);
      else open.set(client, left);
    });
  });
}

/**
 * Node stops enforcing `requestTimeout` once the server is closing, so a client trickling a body
 * would hold a graceful shutdown forever. While closing, requests still being received past the
 * bound are answered 408 and cut, as they would have been before.
 */
export function boundRequestsWhileClosing(app: FastifyInstance, timeoutMs: number): void {
  const receiving = new Map<IncomingMessage, number>();
  // No listeners per request (two per request were a cost on the hot path), and no request held past
  // the turn of the event loop it arrived in unless its body is still coming: holding every request
  // until a pruning pass kept a thousand of them alive, for the garbage collector to promote and sweep.
  let arrived: IncomingMessage[] = [];
  let pruneAt = 64;
  const sift = () => {
    const now = performance.now();
    for (const req of arrived) if (!req.complete && !req.destroyed) receiving.set(req, now);
    arrived = [];
    if (receiving.size < pruneAt) return;
    for (const r of receiving.keys()) if (r.complete || r.destroyed) receiving.delete(r);
    pruneAt = Math.max(64, 2 * receiving.size);
  };
  app.server.on('request', (req: IncomingMessage) => {
    if (arrived.push(req) === 1) setImmediate(sift);
  });
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    sweeper = setInterval(() => {
      sift();
      for (const [req, since] of receiving) {
        if (req.complete || performance.now() - since < timeoutMs) continue;
        receiving.delete(req);
        answerRaw(req.socket, 408, 'Request timeout');
      }
    }, 250);
    sweeper.unref();
  });
  app.addHook('onClose', async () => clearInterval(sweeper));
}
