import { VeniceError } from './errors.js';

/**
 * Lazy paging over a `page`/`limit` endpoint. It stops on a short page, at `maxItems`, and when the
 * server shows that it ignores paging: api.venice.ai answers every page with all keys, which would
 * otherwise repeat forever once an account holds exactly `pageSize` keys. Such a server is caught by
 * a page longer than asked for, or by a page that brings nothing new; ids already yielded are never
 * yielded again (a key created between two requests shifts a newest-first listing by one).
 */
export async function* iteratePages<T extends { id: string }>(
  fetchPage: (page: number, limit: number) => PromiseLike<T[]>,
  { pageSize, maxItems = Number.POSITIVE_INFINITY }: { pageSize: number; maxItems?: number | undefined },
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  for (let page = 1; seen.size < maxItems; page++) {
    const items = await fetchPage(page, pageSize);
    let fresh = 0;
    for (const item of items) {
      if (seen.has(item.id)) continue;
      if (seen.size >= maxItems) return;
      seen.add(item.id);
      fresh++;
      yield item;
    }
    if (items.length !== pageSize || fresh === 0) return;
  }
}

/**
 * A cursor walk: the first page, then one page per `nextCursor` until it is `null`. A server that
 * hands back the cursor it was just given would repeat the same page forever, so that ends the walk
 * with an error instead.
 */
export async function* iterateCursor<P extends { nextCursor: string | null }>(
  first: () => PromiseLike<P>,
  next: (cursor: string) => PromiseLike<P>,
): AsyncGenerator<P, void, undefined> {
  let page = await first();
  for (;;) {
    yield page;
    const cursor = page.nextCursor;
    if (!cursor) return;
    page = await next(cursor);
    if (page.nextCursor === cursor) {
      throw new VeniceError('The server answered a cursor with the same cursor: the walk would never end');
    }
  }
}
