/**
 * The client of the OpenAI-compatible inference upstream: one undici 7 pool of kept-alive connections
 * (undici 8 crashes on Node 20). The upstream's own key is sent, never the client's; no client header
 * is forwarded. One deadline (`upstream.timeoutMs`) bounds the whole request, streamed body included,
 * and a client that goes away aborts the upstream request at once.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { AppError } from '../domain/errors.js';
import { type Metrics, NO_METRICS, type UpstreamOutcome } from '../domain/ports/metrics.js';
import type { Cancel } from './cancel.js';

export interface UpstreamSettings {
  /** Base URL, e.g. `https://api.venice.ai/api/v1`; request paths are appended to it. */
  url: string;
  apiKey: string | undefined;
  /** The environment variable the key is read from, named in the 503 when it is missing. */
  apiKeyEnv: string;
  timeoutMs: number;
  /** At most this many connections to the upstream. */
  connections?: number;
}

export type UpstreamPath = 'chat/completions' | 'embeddings';

export interface UpstreamCall {
  path: UpstreamPath;
  body: Buffer | string;
  requestId: string;
  /** Aborted by the caller when its client goes away, and here at the deadline (reason `TIMEOUT`). */
  cancel: Cancel;
}

/** An answer whose headers arrived; its body is read through `chunks()` or `text()`. */
export interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it arrives; a failure while reading becomes a 502 or 504 AppError. */
  chunks(): AsyncGenerator<Buffer>;
  text(): Promise<string>;
}

export const UPSTREAM_FAILED = 'Upstream request failed';
export const UPSTREAM_TIMED_OUT = 'Upstream request timed out';

/** The reason a request's `Cancel` carries when the upstream deadline passed. */
const TIMEOUT = Symbol('upstream timeout');

export class UpstreamClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly authorization: string | undefined;

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly metrics: Metrics = NO_METRICS,
  ) {
    const url = new URL(settings.url);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.authorization = settings.apiKey ? `Bearer ${settings.apiKey}` : undefined;
    this.pool = new Pool(url.origin, {
      connections: settings.connections ?? 512,
      // The deadline below bounds the request; undici's own timers would cut a long stream short.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: Math.min(settings.timeoutMs, 10_000) },
    });
  }

  /** Throws the 503 when no upstream key is configured: checked before anything is reserved. */
  assertConfigured(): void {
    if (!this.authorization) {
      throw new AppError(
        'UNAVAILABLE',
        `Inference is not configured on this server: set ${this.settings.apiKeyEnv} to the upstream's API key.`,
      );
    }
  }

  /** Sends one request; resolves when the answer's headers arrive. */
  async send(call: UpstreamCall): Promise<UpstreamAnswer> {
    this.assertConfigured();
    const { cancel } = call;
    const timer = setTimeout(() => cancel.abort(TIMEOUT), this.settings.timeoutMs);
    const started = performance.now();
    let outcome: UpstreamOutcome = 'ok';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.metrics.upstream(call.path, (performance.now() - started) / 1000, outcome);
    };
    const failure = (error: unknown) => {
      const timedOut = cancel.reason === TIMEOUT;
      // A client that went away says nothing about the upstream.
      if (timedOut) outcome = 'timeout';
      else if (!cancel.aborted) outcome = 'unreachable';
      return timedOut
        ? new AppError('UPSTREAM_TIMEOUT', UPSTREAM_TIMED_OUT, { cause: error })
        : new AppError('UPSTREAM_FAILED', UPSTREAM_FAILED, { cause: error });
    };

    let response: Awaited<ReturnType<Pool['request']>> | undefined;
    try {
      response = await this.pool.request({
        method: 'POST',
        path: `${this.basePath}/${call.path}`,
        headers: {
          authorization: this.authorization as string,
          'content-type': 'application/json',
          'x-request-id': call.requestId,
        },
        body: call.body,
        signal: cancel,
      });
    } catch (error) {
      throw failure(error);
    } finally {
      if (response === undefined) finish();
    }
    if (response.statusCode >= 400) outcome = 'status';
    const body = response.body;
    async function* chunks(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of body) yield chunk as Buffer;
      } catch (error) {
        throw failure(error);
      } finally {
        finish();
      }
    }
    return {
      status: response.statusCode,
      headers: response.headers,
      chunks,
      async text() {
        try {
          return await body.text();
        } catch (error) {
          throw failure(error);
        } finally {
          finish();
        }
      },
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
