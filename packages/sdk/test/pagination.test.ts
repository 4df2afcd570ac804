import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from './support.js';
import { client, collect, fakeFetch, json, KEY } from './support.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ ...KEY, id: `key-${String(i).padStart(4, '0')}` }));

/** A server that honours page/limit. */
const paging = (all: ReturnType<typeof keys>) => (req: RecordedRequest) => {
  const url = new URL(req.url);
  const page = Number(url.searchParams.get('page') ?? 1);
  const limit = Number(url.searchParams.get('limit') ?? 500);
  return json(200, { object: 'list', data: all.slice((page - 1) * limit, page * limit) });
};

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
    for (const n of [0, 5, 99, 100, 101, 200, 250]) {
      const all = keys(n);
      const f = fakeFetch(() => json(200, { object: 'list', data: all }));
      const got = await collect(client(f.fetch).apiKeys.iterAll({ pageSize: 100 }));
      expect(got.map((k) => k.id)).toEqual(all.map((k) => k.id));
      expect(f.requests.length).toBeLessThanOrEqual(2);
    }
  });

  it('stops at once when a page is longer than asked for (the server sent everything)', async () => {
    const all = keys(250);
    const f = fakeFetch(() => json(200, { object: 'list', data: all }));
    expect(await collect(client(f.fetch).apiKeys.iterAll({ pageSize: 100 }))).toHaveLength(250);
    expect(f.requests).toHaveLength(1);
  });

  it('never yields a key twice when a new key shifts the listing between pages', async () => {
    const all = keys(6);
    let calls = 0;
    const f = fakeFetch((req) => {
      // After page 1, a key is created: newest first, so everything moves down by one.
      const list = calls++ === 0 ? all : [{ ...KEY, id: 'new' }, ...all];
      const page = Number(new URL(req.url).searchParams.get('page'));
      return json(200, { object: 'list', data: list.slice((page - 1) * 3, page * 3) });
    });
    const got = await collect(client(f.fetch).apiKeys.iterAll({ pageSize: 3 }));
    expect(got.map((k) => k.id)).toEqual(all.map((k) => k.id));
    expect(f.requests).toHaveLength(3);
  });

  it('sends nothing for maxItems: 0', async () => {
    const f = fakeFetch(paging(keys(5)));
    expect(await collect(client(f.fetch).apiKeys.iterAll({ maxItems: 0 }))).toEqual([]);
    expect(f.requests).toHaveLength(0);
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
