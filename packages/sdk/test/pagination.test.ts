import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from './support.js';
import { client, fakeFetch, json, KEY } from './support.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ ...KEY, id: `key-${String(i).padStart(4, '0')}` }));

/** A server that honours page/limit. */
const paging = (all: ReturnType<typeof keys>) => (req: RecordedRequest) => {
  const url = new URL(req.url);
  const page = Number(url.searchParams.get('page') ?? 1);
  const limit = Number(url.searchParams.get('limit') ?? 500);
  return json(200, { object: 'list', data: all.slice((page - 1) * limit, page * limit) });
};

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('iterAll', () => {
  it('pages lazily and stops on a short page', async () => {
    const all = keys(250);
    const f = fakeFetch(paging(all));
    const got = await collect(client(f.fetch).apiKeys.iterAll());
    expect(got.map((k) => k.id)).toEqual(all.map((k) => k.id));
    expect(f.requests.map((r) => new URL(r.url).search)).toEqual([
      '?page=1&limit=100',
      '?page=2&limit=100',
      '?page=3&limit=100',
    ]);
  });

  it('stops after an empty page when the count is a multiple of the page size', async () => {
    const f = fakeFetch(paging(keys(200)));
    expect(await collect(client(f.fetch).apiKeys.iterAll({ pageSize: 100 }))).toHaveLength(200);
    expect(f.requests).toHaveLength(3);
  });

  it('never loops against a server that ignores paging (all keys every time)', async () => {
    for (const n of [0, 5, 100, 101, 250]) {
      const all = keys(n);
      const f = fakeFetch(() => json(200, { object: 'list', data: all }));
      const got = await collect(client(f.fetch).apiKeys.iterAll({ pageSize: 100 }));
      expect(got.map((k) => k.id)).toEqual(all.map((k) => k.id));
      expect(f.requests.length).toBeLessThanOrEqual(2);
    }
  });

  it('respects maxItems and fetches no further page than needed', async () => {
    const f = fakeFetch(paging(keys(1000)));
    const got = await collect(client(f.fetch).apiKeys.iterAll({ pageSize: 50, maxItems: 120 }));
    expect(got).toHaveLength(120);
    expect(f.requests).toHaveLength(3);
  });

  it('does nothing until iterated, and restarts when iterated again', async () => {
    const f = fakeFetch(paging(keys(3)));
    const iterable = client(f.fetch).apiKeys.iterAll();
    expect(f.requests).toHaveLength(0);
    expect(await collect(iterable)).toHaveLength(3);
    expect(await collect(iterable)).toHaveLength(3);
    expect(f.requests).toHaveLength(2);
  });
});
