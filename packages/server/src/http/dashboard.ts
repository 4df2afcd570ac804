import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

/** Where `npm run build -w @venice-keys/dashboard` writes; the same depth from src/http and dist/http. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

export interface DashboardOptions {
  /** The built dashboard (index.html and assets/). Default: packages/dashboard/dist. */
  dir?: string;
}

/**
 * The page may load only what this server serves and talk only to this server; no inline script or
 * style, no framing, no form posts elsewhere. Charts are SVG drawn by the bundle, so `img-src` needs no data.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** Vite names every file under assets/ by its content hash, so a name never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Only plain names, at most one folder deep: nothing that could climb out of the dist folder. */
const SAFE_PATH = /^(?:assets\/)?[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

interface Loaded {
  version: string;
  body: Buffer;
  gzipped: Buffer | undefined;
}

/**
 * Serves the built dashboard at /dashboard/ (no @fastify/static: a handful of files, read once per
 * version and kept gzipped in memory). A missing build is a 503 that says how to make one.
 */
export async function dashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const root = resolve(options.dir ?? DASHBOARD_DIST);
  const cache = new Map<string, Loaded>();

  async function load(relative: string): Promise<Loaded | undefined> {
    const file = join(root, relative);
    if (!file.startsWith(root + sep)) return undefined;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const version = `${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}`;
    const cached = cache.get(relative);
    if (cached?.version === version) return cached;
    const body = await readFile(file);
    const gzipped = COMPRESSIBLE.has(extname(file)) && body.length > 1024 ? gzipSync(body) : undefined;
    const loaded = { version, body, gzipped };
    cache.set(relative, loaded);
    return loaded;
  }

  async function send(req: FastifyRequest, reply: FastifyReply, relative: string): Promise<FastifyReply> {
    const file = await load(relative);
    if (!file) {
      if (relative === 'index.html') {
        throw new AppError(
          'UNAVAILABLE',
          'The dashboard has not been built: run `npm run build -w @venice-keys/dashboard` and reload',
        );
      }
      throw new AppError('NOT_FOUND', 'Not found');
    }
    const etag = `"${file.version}"`;
    reply
      .headers(SECURITY_HEADERS)
      .header('cache-control', relative.startsWith('assets/') ? IMMUTABLE : REVALIDATE)
      .header('etag', etag)
      .header('vary', 'accept-encoding')
      .type(TYPES[extname(relative)] ?? 'application/octet-stream');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    if (file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      return reply.header('content-encoding', 'gzip').send(file.gzipped);
    }
    return reply.send(file.body);
  }

  app.get('/dashboard/', { config: { auth: 'none' } }, async (req, reply) => {
    // The router ignores trailing slashes; the page itself needs one so that the browser's URL matches its base.
    if (!req.url.split('?')[0]!.endsWith('/')) return reply.redirect('/dashboard/', 308);
    return send(req, reply, 'index.html');
  });
  app.get<{ Params: { '*': string } }>('/dashboard/*', { config: { auth: 'none' } }, async (req, reply) => {
    const path = req.params['*'];
    if (!SAFE_PATH.test(path)) throw new AppError('NOT_FOUND', 'Not found');
    return send(req, reply, path);
  });
}
