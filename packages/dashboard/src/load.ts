import type { VeniceClient } from '@venice-keys/sdk';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, isSignedOut } from './errors.js';
import { useSession } from './session.js';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Fetches with the session's client whenever `deps` change (or on `reload`); a stale answer never
 * overwrites a newer one, and a 401 ends the session.
 */
export function useLoad<T>(
  load: (client: VeniceClient, signal: AbortSignal) => Promise<T>,
  deps: unknown[],
): Loaded<T> {
  const session = useSession();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  // `load` is a fresh closure each render: the caller's `deps` say when it means something new.
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(session.client, controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (isSignedOut(error)) session.signOut(errorText(error));
        else setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [session.client, generation, ...deps]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Action {
  busy: boolean;
  error: unknown;
  /** Runs `work`; resolves to its result, or undefined when it failed (the error is then in `error`). */
  run<T>(work: (client: VeniceClient) => Promise<T>): Promise<T | undefined>;
  clear(): void;
}

/** One user action at a time (a form submit, a revoke), with its error kept for the form to show. */
export function useAction(): Action {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const running = useRef(false);
  const run = useCallback(
    async <T>(work: (client: VeniceClient) => Promise<T>): Promise<T | undefined> => {
      if (running.current) return undefined;
      running.current = true;
      setBusy(true);
      setError(undefined);
      try {
        return await work(session.client);
      } catch (e) {
        if (isSignedOut(e)) session.signOut(errorText(e));
        else setError(e);
        return undefined;
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    [session],
  );
  return { busy, error, run, clear: useCallback(() => setError(undefined), []) };
}
