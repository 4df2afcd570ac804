import { useEffect, useState } from 'preact/hooks';

/** The time, refreshed every `everyMs`, for countdowns. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Calls `tick` every `everyMs` while the page is shown (live figures). */
export function useEvery(everyMs: number, tick: () => void): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') tick();
    }, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, tick]);
}
