import { performance } from 'node:perf_hooks';
import type { Account, ApiKeyRecord } from './model.js';

export interface KeyWithAccount {
  key: ApiKeyRecord;
  account: Account;
}

/**
 * Short-lived cache of secret digest → key. Entries live `ttlMs` (1 s), which is the bound on how long
 * another instance may still accept a key this one revoked; this instance drops a key at once.
 * Its timer is the process's monotonic clock, not the domain clock: it is about freshness, not policy.
 */
export class AuthCache {
  private readonly entries = new Map<string, { value: KeyWithAccount | undefined; at: number }>();
  private readonly loading = new Map<string, Promise<KeyWithAccount | undefined>>();
  /** Bumped whenever a key is forgotten: a read that started before must not cache what it found. */
  private generation = 0;

  constructor(
    private readonly ttlMs = 1_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(digest: string): { value: KeyWithAccount | undefined } | undefined {
    const e = this.entries.get(digest);
    if (!e) return undefined;
    if (performance.now() - e.at > this.ttlMs) {
      this.entries.delete(digest);
      return undefined;
    }
    return e;
  }

  set(digest: string, value: KeyWithAccount | undefined): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(digest, { value, at: performance.now() });
  }

  /**
   * One read per digest at a time: a cold storm on one key makes one database read, which every
   * request of the storm waits for, and whose answer is cached for the ones after.
   */
  load(digest: string, read: () => Promise<KeyWithAccount | undefined>): Promise<KeyWithAccount | undefined> {
    const pending = this.loading.get(digest);
    if (pending) return pending;
    const generation = this.generation;
    const loaded = read().then(
      (value) => {
        if (this.loading.get(digest) === loaded) this.loading.delete(digest);
        if (generation === this.generation) this.set(digest, value);
        return value;
      },
      (error: unknown) => {
        if (this.loading.get(digest) === loaded) this.loading.delete(digest);
        throw error;
      },
    );
    this.loading.set(digest, loaded);
    return loaded;
  }

  /** Forget a key after this instance changed it (revoke, expiry, limits). */
  forgetKey(keyId: string): void {
    this.generation++;
    this.loading.clear();
    for (const [digest, e] of this.entries) if (e.value?.key.id === keyId) this.entries.delete(digest);
  }
}
