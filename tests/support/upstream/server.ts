/**
 * The test upstream: an OpenAI-compatible inference server of our own (plain node:http), the only test
 * double of the project. Tests start it as a child process (`spawn.ts`), the bench imports it. README.md
 * lists what it serves and the knobs a request can turn.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { chatChunks, chatCompletion, embeddings, errorBody, type Knobs, knobsOf, planChat } from './behaviour.js';

export const DEFAULT_UPSTREAM_KEY = 'test-upstream-key';

export interface UpstreamStats {
  /** Every request to an inference path, authorised or not. */
  requests: number;
  chat: number;
  streams: number;
  embeddings: number;
  /** Requests refused because the Authorization was not `Bearer <the upstream's key>`. */
  authFailures: number;
  /** Responses whose client went away before the response ended (a cancelled stream among them). */
  aborted: number;
  /** Responses started and not yet ended or aborted. */
  inFlight: number;
  /** The newest inference request as received: path and parsed body. */
  last: { path: string; body: Record<string, unknown> } | null;
}

export interface UpstreamHandle {
  /** Base URL to configure as the gateway's upstream, ending in `/v1`. */
  url: string;
  apiKey: string;
  stats(): Promise<UpstreamStats>;
  reset(): Promise<void>;
  /** Polls the stats until `done` holds (abort propagation is asynchronous); throws after `timeoutMs`. */
  waitFor(done: (s: UpstreamStats) => boolean, timeoutMs?: number): Promise<UpstreamStats>;
  close(): Promise<void>;
}

const fresh = (): UpstreamStats => ({
  requests: 0,
  chat: 0,
  streams: 0,
  embeddings: 0,
  authFailures: 0,
  aborted: 0,
  inFlight: 0,
  last: null,
});

const JSON_HEADERS = { 'content-type': 'application/json' };

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** Resolves when the response's client goes away (the gateway cancelled), so that waits can stop early. */
function gone(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => res.once('close', resolve));
}

async function stream(res: ServerResponse, body: Record<string, unknown>, knobs: Knobs): Promise<void> {
  const plan = planChat(body, knobs);
  const options = body.stream_options as { include_usage?: unknown } | undefined;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const closed = gone(res);
  let content = -1; // the role chunk comes first
  for (const data of chatChunks(plan, options?.include_usage === true)) {
    if (res.destroyed) return;
    if (content === knobs.dropAfter) {
      // Closed after what was written is flushed, before the response's end: a connection lost mid-answer.
      res.socket?.end();
      return;
    }
    if (content === knobs.hangAfter) return void (await closed);
    res.write(`data: ${data}\n\n`);
    if (content < plan.completionTokens) content++;
    if (knobs.chunkDelay) await Promise.race([sleep(knobs.chunkDelay), closed]);
  }
  res.end('data: [DONE]\n\n');
}

export function startUpstream(options: { apiKey?: string; port?: number } = {}): Promise<UpstreamHandle> {
  const apiKey = options.apiKey ?? DEFAULT_UPSTREAM_KEY;
  let stats = fresh();

  const serve = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    stats.requests++;
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      stats.authFailures++;
      res.writeHead(401, JSON_HEADERS).end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
      return;
    }
    const body = await readJson(req);
    const knobs = knobsOf(body, req.headers['x-mock'] as string | undefined);
    stats.last = { path, body };
    const chat = path.endsWith('/chat/completions');
    if (chat) stats.chat++;
    else stats.embeddings++;
    stats.inFlight++;
    res.once('close', () => {
      stats.inFlight--;
      if (!res.writableFinished) stats.aborted++;
    });
    if (knobs.hang) return;
    if (knobs.delay) await Promise.race([sleep(knobs.delay), gone(res)]);
    if (res.destroyed) return;
    if (knobs.status !== undefined) {
      res.writeHead(knobs.status, JSON_HEADERS).end(knobs.body ?? errorBody(knobs.status));
    } else if (chat && body.stream === true) {
      stats.streams++;
      await stream(res, body, knobs);
    } else {
      const answer = chat ? chatCompletion(planChat(body, knobs)) : embeddings(body, knobs);
      res.writeHead(200, JSON_HEADERS).end(JSON.stringify(answer));
    }
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (req.method === 'GET' && path === '/__stats')
      return void res.writeHead(200, JSON_HEADERS).end(JSON.stringify(stats));
    if (req.method === 'POST' && path === '/__reset') {
      stats = { ...fresh(), inFlight: stats.inFlight };
      return void res.writeHead(200, JSON_HEADERS).end('{}');
    }
    if (req.method !== 'POST' || !/\/(chat\/completions|embeddings)$/.test(path)) {
      return void res.writeHead(404, JSON_HEADERS).end(JSON.stringify({ error: { message: 'not found' } }));
    }
    serve(req, res, path).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(400, JSON_HEADERS).end(JSON.stringify({ error: { message: String((e as Error).message ?? e) } }));
    });
  });
  // Longer than any client pool's idle timeout, so that the upstream never closes a kept-alive socket
  // at the moment a client reuses it (an ECONNRESET that would be the test double's fault).
  server.keepAliveTimeout = 120_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(
        handleFor(`${origin}/v1`, apiKey, async () => {
          server.closeAllConnections();
          await new Promise<void>((done) => server.close(() => done()));
        }),
      );
    });
  });
}

/** The same handle in process and across processes: everything but `close` goes over HTTP. */
export function handleFor(url: string, apiKey: string, close: () => Promise<void>): UpstreamHandle {
  const origin = new URL(url).origin;
  const stats = async () => (await (await fetch(`${origin}/__stats`)).json()) as UpstreamStats;
  return {
    url,
    apiKey,
    stats,
    reset: async () => void (await fetch(`${origin}/__reset`, { method: 'POST' })).body?.cancel(),
    async waitFor(done, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await stats();
        if (done(s)) return s;
        if (Date.now() > deadline) throw new Error(`test upstream: condition not met, stats ${JSON.stringify(s)}`);
        await sleep(10);
      }
    },
    close,
  };
}
