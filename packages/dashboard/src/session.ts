import { VeniceClient } from '@venice-keys/sdk';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** sessionStorage only: the key lives as long as the tab, never in a cookie or localStorage. */
const STORAGE_KEY = 'venice-keys.admin-key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the key is then kept in memory only
  }
}

export function rememberKey(secret: string | null): void {
  try {
    if (secret === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, secret);
  } catch {
    // memory only, see storedKey
  }
}

/** The page talks to the server that served it, with the key the person signed in with. */
export function clientFor(secret: string): VeniceClient {
  return new VeniceClient({
    apiKey: secret,
    baseURL: location.origin,
    // The person typed this ADMIN key into this page themselves; nothing else on the page can load code (CSP).
    dangerouslyAllowBrowser: true,
    maxRetries: 1,
    timeout: 30_000,
    logLevel: 'off',
  });
}

export interface Session {
  client: VeniceClient;
  /** The last six characters of the signed-in key, to recognise it in the key list. */
  last6: string;
  /** Replaces the signed-in key (after rotating it). */
  switchKey(secret: string): void;
  /** Forgets the key; `reason` is shown on the sign-in page. */
  signOut(reason?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
