/**
 * Lazy paging over a `page`/`limit` endpoint. It stops on a short page, at `maxItems`, and on a
 * page that brings nothing new: api.venice.ai ignores paging and answers every page with all keys,
 * which would otherwise repeat forever once an account holds exactly `pageSize` keys.
 */
export async function* iteratePages<T extends { id: string }>(
  fetchPage: (page: number, limit: number) => Promise<T[]>,
  { pageSize, maxItems }: { pageSize: number; maxItems: number | undefined },
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let yielded = 0;
  for (let page = 1; ; page++) {
    const items = await fetchPage(page, pageSize);
    let fresh = 0;
    for (const item of items) {
      if (seen.has(item.id)) continue;
      if (maxItems !== undefined && yielded >= maxItems) return;
      seen.add(item.id);
      fresh++;
      yielded++;
      yield item;
    }
    if (items.length < pageSize || fresh === 0) return;
    if (maxItems !== undefined && yielded >= maxItems) return;
  }
}
