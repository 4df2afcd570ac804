import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HistoryPage } from '../../../domain/usage/history.js';
import type { UsageServices } from '../../../domain/usage/services.js';
import { callerOf } from '../../auth.js';
import { fieldInvalid, parseWith } from '../../validation.js';
import { analyticsJson, csvFilename, entriesCsv, entryJson } from './usage-present.js';
import { analyticsQuery, historyQuery } from './usage-query.js';

const CURSOR_REFUSED = {
  invalid: 'Invalid cursor: restart the walk from the first page',
  expired: 'Cursor expired: restart the walk from the first page',
} as const;

/** Sunset at Venice on 2026-09-16 (the spec's headers, verbatim). */
const SUNSET_HEADERS = {
  deprecation: '@1783555200',
  sunset: 'Wed, 16 Sep 2026 00:00:00 GMT',
  link: '</api/v1/billing/usage-history>; rel="successor-version"',
};

/** Whether the caller listed `text/csv` (with a non-zero quality) among what it accepts. */
function wantsCsv(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    return type === 'text/csv' && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

export function usageRoutes(app: FastifyInstance, { history, analytics, pruner }: UsageServices): void {
  app.get('/api/v1/billing/usage-history', async (req, reply) => {
    const accountId = callerOf(req).account.id;
    const { cursor, filters } = parseWith(historyQuery, req.query);
    let page: HistoryPage;
    if (cursor === undefined) {
      page = await history.firstPage(accountId, filters);
    } else {
      const opened = history.openCursor(accountId, cursor);
      if (!opened.ok) throw fieldInvalid(['cursor'], CURSOR_REFUSED[opened.reason]);
      page = await history.continueWalk(accountId, opened.walk);
    }
    if (!wantsCsv(req)) return { data: page.entries.map(entryJson), nextCursor: page.nextCursor };
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename=${csvFilename(page.servedAt)}`);
    if (page.nextCursor !== null) reply.header('x-next-cursor', page.nextCursor);
    return entriesCsv(page.entries);
  });

  app.get('/api/v1/billing/usage-analytics', { config: { auth: 'any' } }, async (req) => {
    const { key, account } = callerOf(req);
    const period = parseWith(analyticsQuery, req.query);
    // Least privilege: an INFERENCE key is shown its own usage, never its siblings'.
    const usage = await analytics.analyse(account.id, period, key.type === 'ADMIN' ? undefined : key.id);
    return analyticsJson(usage);
  });

  app.get('/api/v1/billing/usage', { config: { auth: 'none' } }, async (_req, reply) => {
    reply.code(410).headers(SUNSET_HEADERS);
    return { error: 'This endpoint has been removed. Use GET /api/v1/billing/usage-history.' };
  });

  app.addHook('onReady', async () => {
    pruner.start((error) => app.log.error({ err: error }, 'usage ledger pruning failed'));
  });
  app.addHook('onClose', () => pruner.stop());
}
