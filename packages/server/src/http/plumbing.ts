import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../domain/errors.js';
import { routeEveryMethod } from './methods.js';
import { statusOf } from './status.js';
import { refuseConnect, refuseWhileClosing, requireHost } from './transport.js';

/** Request ids: a caller's own id is echoed when it is sane, otherwise we mint one. */
export function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

const CONTENT_TYPE_MESSAGE = "'Content-Type' must be 'application/json'";
/** Refuses malformed UTF-8 instead of storing U+FFFD in its place. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfterMs !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  if (error.headers) reply.headers(error.headers);
  return reply.code(statusOf(error.code)).send({ error: error.message, ...error.body });
}

/** Bodies read raw and decoded by us, so that an empty body is no body whatever its Content-Type. */
export function rawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

/** JSON bodies with the contract's messages for a wrong Content-Type and for bad JSON. */
export function jsonBodies(app: FastifyInstance): void {
  rawBodies(app);
  app.addHook('preValidation', async (req) => {
    const raw = req.body;
    if (!Buffer.isBuffer(raw)) return;
    if (raw.length === 0) {
      req.body = undefined;
      return;
    }
    const type = req.headers['content-type'] ?? '';
    if (!JSON_TYPE.test(type)) throw new AppError('BAD_REQUEST', CONTENT_TYPE_MESSAGE);
    // Bodies are read as they are sent: a compressed or non-UTF-8 body would otherwise be misread.
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new AppError('BAD_REQUEST', "'Content-Encoding' is not supported; send the body uncompressed");
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new AppError('BAD_REQUEST', "'Content-Type' charset must be utf-8");
    }
    let text: string;
    try {
      text = STRICT_UTF8.decode(raw);
    } catch {
      throw new AppError('BAD_REQUEST', 'Request body is not valid UTF-8');
    }
    try {
      req.body = JSON.parse(text);
    } catch {
      throw new AppError('BAD_REQUEST', 'Invalid JSON request');
    }
  });
}

/** The admin API's error mapping: AppError codes to statuses, internals of a 5xx hidden. */
export function adminErrorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isAppError(error)) {
    const cause = error.cause instanceof Error ? error.cause.message : error.cause;
    // Expected refusals (web3 off, a dependency down) are the operator's information, not a bug: no stack.
    if (error.code === 'UNAVAILABLE') req.log.warn({ code: error.code, cause }, error.message);
    else if (statusOf(error.code) >= 500) req.log.error({ err: error }, 'request failed');
    // A 4xx that failed because a dependency did (a web3 RPC): worth a warning, with what went wrong.
    else if (cause !== undefined) req.log.warn({ code: error.code, cause }, error.message);
    return sendError(reply, error);
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendError(reply, new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large'));
  }
  // fastify refuses Content-Type headers it cannot even parse before our hook sees the body.
  if (error.statusCode === 415) return sendError(reply, new AppError('BAD_REQUEST', CONTENT_TYPE_MESSAGE));
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return reply.code(status).send({ error: error.message || 'Bad request' });
  req.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send({ error: 'Internal server error' });
}

/**
 * What every surface shares: request ids on every answer, the request's caller slot, the 404 of
 * unknown paths, and an error mapping for what fails outside a surface.
 */
export function registerPlumbing(app: FastifyInstance): void {
  // Set as the request arrives, before any other hook may answer, so that every answer carries it (an
  // async onSend hook did the same at a cost on every request).
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  routeEveryMethod(app);
  requireHost(app);
  refuseWhileClosing(app);
  refuseConnect(app);
  rawBodies(app);
  app.decorateRequest('caller', undefined);

  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send({ error: 'Not found' });
  });

  app.setErrorHandler(adminErrorHandler);
}
