import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (#/keys, #/keys/<id>, #/limits, #/billing): the server serves one index.html and
 * never needs to know the dashboard's pages.
 */
export type Route =
  | { page: 'keys' }
  | { page: 'key'; id: string }
  | { page: 'limits' }
  | { page: 'billing' }
  | { page: 'missing' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/keys';
  if (path === '/keys' || path === '/') return { page: 'keys' };
  const key = /^\/keys\/([^/]+)$/.exec(path);
  if (key) return { page: 'key', id: decodeURIComponent(key[1]!) };
  if (path === '/limits') return { page: 'limits' };
  if (path === '/billing') return { page: 'billing' };
  return { page: 'missing' };
}

export const hrefOf = (route: Route): string =>
  route.page === 'key' ? `#/keys/${encodeURIComponent(route.id)}` : `#/${route.page}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
