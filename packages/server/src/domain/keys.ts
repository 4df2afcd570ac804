import { AuthCache, type KeyWithAccount } from './auth-cache.js';
import type { Clock } from './clock.js';
import { AppError } from './errors.js';
import {
  type ApiKeyChanges,
  type ApiKeyRecord,
  type ApiKeyType,
  isActive,
  type LimitPeriod,
  type ModelPrivacy,
  type Spend,
} from './model.js';
import type { AccountTx, KeyStore } from './ports/keys.js';
import { type Metrics, NO_METRICS } from './ports/metrics.js';
import type { UsageStore } from './ports/usage.js';
import {
  digestSecret,
  generateSecret,
  idempotencyDigest,
  newId,
  SECRET_PATTERN,
  type ServerSecrets,
  seal,
  secretsInTurn,
  sha256Hex,
  UUID_PATTERN,
  unseal,
} from './secrets.js';
import { dayOf, MINUTE_MS, periodStartDay } from './time.js';

export interface KeyLimits {
  createsPerMinute: number;
  maxActiveKeys: number;
}

export interface NewKeyInput {
  type: ApiKeyType;
  description: string;
  expiresAt: number | null;
  limitUsd: bigint | null;
  limitDiem: bigint | null;
  limitPeriod: LimitPeriod;
  modelPrivacy: ModelPrivacy;
}

/** What a key is unless its creator says otherwise: no expiry, no spend limit, daily period, every model. */
export const KEY_DEFAULTS = {
  expiresAt: null,
  limitUsd: null,
  limitDiem: null,
  limitPeriod: 'EPOCH',
  modelPrivacy: 'ALL',
} as const satisfies Omit<NewKeyInput, 'type' | 'description'>;

/** A create request with the defaults filled in where it is silent (`undefined`). */
export function withKeyDefaults(
  input: Pick<NewKeyInput, 'type' | 'description'> & { [F in keyof typeof KEY_DEFAULTS]?: NewKeyInput[F] | undefined },
): NewKeyInput {
  return {
    type: input.type,
    description: input.description,
    expiresAt: input.expiresAt ?? KEY_DEFAULTS.expiresAt,
    limitUsd: input.limitUsd ?? KEY_DEFAULTS.limitUsd,
    limitDiem: input.limitDiem ?? KEY_DEFAULTS.limitDiem,
    limitPeriod: input.limitPeriod ?? KEY_DEFAULTS.limitPeriod,
    modelPrivacy: input.modelPrivacy ?? KEY_DEFAULTS.modelPrivacy,
  };
}

export interface CreatedKey {
  key: ApiKeyRecord;
  /** The plaintext secret: returned from creation and never again. */
  secret: string;
}

export interface KeyUsage {
  trailingSevenDays: Spend;
  /** Present only when the key has a USD or DIEM limit. */
  currentPeriod: Spend | undefined;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * MINUTE_MS;
const LAST_USED_RESOLUTION_MS = MINUTE_MS;

export const keyNotFound = () => new AppError('NOT_FOUND', 'API key not found');
const authFailed = () => new AppError('AUTH_FAILED', 'Authentication failed');

/** Key ids are UUIDs, which compare case-insensitively; we store and look them up in lower case. */
function keyId(given: string): string {
  if (!UUID_PATTERN.test(given)) throw keyNotFound();
  return given.toLowerCase();
}

const hasSpendLimit = (k: ApiKeyRecord): boolean => k.limitUsd !== null || k.limitDiem !== null;

/** Key lifecycle: authentication, creation (with caps, rate and idempotency), change, revocation, usage. */
export class KeyService {
  private readonly cache = new AuthCache();

  constructor(
    private readonly store: KeyStore & UsageStore,
    private readonly clock: Clock,
    private readonly limits: KeyLimits,
    private readonly secrets: ServerSecrets,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /** The active key behind a bearer secret, or AUTH_FAILED. Marks the key used (at most once a minute). */
  async authenticate(secret: string): Promise<KeyWithAccount> {
    if (!SECRET_PATTERN.test(secret)) throw authFailed();
    const digest = digestSecret(secret);
    const cached = this.cache.get(digest);
    this.metrics.authCache(cached !== undefined);
    const found = cached ? cached.value : await this.cache.load(digest, () => this.store.findKeyByDigest(digest));
    const now = this.clock.now();
    // The account's state rides in the cached record, so a disabled account is refused within the cache's life.
    if (!found || !isActive(found.key, now) || found.account.disabledAt !== null) throw authFailed();
    const last = found.key.lastUsedAt;
    if (last === null || now - last >= LAST_USED_RESOLUTION_MS) {
      found.key.lastUsedAt = now;
      await this.store.touchKey(found.key.id, now);
    }
    return found;
  }

  async list(accountId: string, page?: { page: number; limit: number }): Promise<ApiKeyRecord[]> {
    const range = page && { offset: (page.page - 1) * page.limit, limit: page.limit };
    return this.store.listActiveKeys(accountId, this.clock.now(), range);
  }

  /** An active key of the account; anything else (unknown, foreign, revoked, expired, malformed id) is not found. */
  async get(accountId: string, given: string): Promise<ApiKeyRecord> {
    const id = keyId(given);
    const key = await this.store.getKey(accountId, id);
    if (!key || !isActive(key, this.clock.now())) throw keyNotFound();
    return key;
  }

  /** Usage of the given keys: the trailing seven UTC days, and the current limit period of limited keys. */
  async usage(accountId: string, keys: readonly ApiKeyRecord[]): Promise<Map<string, KeyUsage>> {
    const now = this.clock.now();
    const trailing = await this.store.spendByKey(
      accountId,
      dayOf(now) - 6,
      keys.length === 1 ? [keys[0]?.id as string] : undefined,
    );
    const byPeriodStart = new Map<number, string[]>();
    for (const k of keys.filter(hasSpendLimit)) {
      const start = periodStartDay(k.limitPeriod, now);
      byPeriodStart.set(start, [...(byPeriodStart.get(start) ?? []), k.id]);
    }
    const current = new Map<string, Spend>();
    for (const [start, ids] of byPeriodStart) {
      for (const [id, spend] of await this.store.spendByKey(accountId, start, ids)) current.set(id, spend);
    }
    const zero: Spend = { usd: 0n, diem: 0n };
    return new Map(
      keys.map((k) => [
        k.id,
        {
          trailingSevenDays: trailing.get(k.id) ?? zero,
          currentPeriod: hasSpendLimit(k) ? (current.get(k.id) ?? zero) : undefined,
        },
      ]),
    );
  }

  /**
   * Creates a key. With an Idempotency-Key, the same key and body within 24 h replay the original
   * result (same id, same secret) and a different body is a conflict.
   */
  async create(
    accountId: string,
    input: NewKeyInput,
    idempotencyKey?: string,
  ): Promise<CreatedKey & { replayed: boolean }> {
    return this.store.inAccount(accountId, async (tx) => {
      const now = this.clock.now();
      if (idempotencyKey === undefined)
        return { ...(await this.insertWithinLimits(tx, accountId, input, now)), replayed: false };

      const requestHash = sha256Hex(canonicalInput(input));
      // Under the account's lock: a record made before a rotation is found under the secret it was made with.
      for (const secret of secretsInTurn(this.secrets)) {
        const digest = idempotencyDigest(secret, accountId, idempotencyKey);
        const previous = await tx.getIdempotency(digest);
        if (!previous) continue;
        if (previous.expiresAt <= now) {
          await tx.deleteIdempotency(digest);
          continue;
        }
        if (previous.requestHash !== requestHash) {
          throw new AppError('CONFLICT', 'Idempotency-Key was already used with a different request');
        }
        const plain = unseal(previous.sealedResponse, secret, accountId, idempotencyKey);
        return { ...decodeCreated(plain), replayed: true };
      }

      const created = await this.insertWithinLimits(tx, accountId, input, now);
      const { current } = this.secrets;
      await tx.putIdempotency({
        keyDigest: idempotencyDigest(current, accountId, idempotencyKey),
        requestHash,
        sealedResponse: seal(encodeCreated(created), current, accountId, idempotencyKey),
        createdAt: now,
        expiresAt: now + IDEMPOTENCY_TTL_MS,
      });
      return { ...created, replayed: false };
    });
  }

  /** Creates a key paid for by a web3 token: the token is used up only if the key is created. */
  async mint(accountId: string, input: NewKeyInput, token: { jti: string; expiresAt: number }): Promise<CreatedKey> {
    return this.store.inAccount(accountId, async (tx) => {
      const now = this.clock.now();
      if (!(await tx.useWeb3Token(token.jti, now, token.expiresAt))) {
        throw new AppError('BAD_REQUEST', 'JWT has already been used');
      }
      return this.insertWithinLimits(tx, accountId, input, now);
    });
  }

  async update(accountId: string, given: string, changes: ApiKeyChanges): Promise<ApiKeyRecord> {
    const id = keyId(given);
    const updated = await this.store.inAccount(accountId, async (tx) => {
      const now = this.clock.now();
      const key = await tx.getKey(id);
      if (!key || !isActive(key, now)) throw keyNotFound();
      const shortens =
        changes.expiresAt !== undefined &&
        changes.expiresAt !== null &&
        (key.expiresAt === null || changes.expiresAt < key.expiresAt);
      if (key.type === 'ADMIN' && shortens) await this.guardLastAdmin(tx, key, now);
      await tx.updateKey(id, changes);
      return (await tx.getKey(id)) as ApiKeyRecord;
    });
    this.cache.forgetKey(id);
    return updated;
  }

  async revoke(accountId: string, given: string): Promise<void> {
    const id = keyId(given);
    await this.store.inAccount(accountId, async (tx) => {
      const now = this.clock.now();
      const key = await tx.getKey(id);
      if (!key || !isActive(key, now)) throw keyNotFound();
      if (key.type === 'ADMIN') await this.guardLastAdmin(tx, key, now);
      await tx.revokeKey(id, now);
    });
    this.cache.forgetKey(id);
  }

  /**
   * An account must never lock itself out: an ADMIN key may lose lifetime (revoked, or given an
   * earlier expiry) only while another active ADMIN key lives at least as long as this one does now,
   * whichever key makes the call. So the account's longest-lived ADMIN key never gets shorter, and a
   * short-lived key cannot end a permanent one. Runs inside the account's transaction: two such
   * calls are serialised and the second sees the first's effect.
   */
  private async guardLastAdmin(tx: AccountTx, key: ApiKeyRecord, now: number): Promise<void> {
    const others = await tx.otherActiveAdminKeys(now, key.id);
    const outlives = (o: ApiKeyRecord) =>
      o.expiresAt === null || (key.expiresAt !== null && o.expiresAt >= key.expiresAt);
    if (!others.some(outlives)) {
      throw new AppError('CONFLICT', 'Cannot revoke the last active ADMIN key of this account');
    }
  }

  private async insertWithinLimits(
    tx: AccountTx,
    accountId: string,
    input: NewKeyInput,
    now: number,
  ): Promise<CreatedKey> {
    // Counted inside the account's transaction, so concurrent creates on any instance cannot pass the rate.
    const recent = await tx.keysCreatedSince(now - MINUTE_MS + 1);
    if (recent.length >= this.limits.createsPerMinute) {
      const freesAt = (recent[recent.length - this.limits.createsPerMinute] as number) + MINUTE_MS;
      throw new AppError('RATE_LIMITED', 'Too many API keys created. Please wait a minute and try again.', {
        retryAfterMs: Math.max(1, freesAt - now),
      });
    }
    if ((await tx.countActiveKeys(now)) >= this.limits.maxActiveKeys) {
      throw new AppError('BAD_REQUEST', `Maximum of ${this.limits.maxActiveKeys} active API keys reached`);
    }
    const secret = generateSecret(input.type);
    const key: ApiKeyRecord = {
      id: newId(),
      accountId,
      type: input.type,
      description: input.description,
      createdAt: now,
      expiresAt: input.expiresAt,
      revokedAt: null,
      lastUsedAt: null,
      last6: secret.slice(-6),
      limitUsd: input.limitUsd,
      limitDiem: input.limitDiem,
      limitPeriod: input.limitPeriod,
      modelPrivacy: input.modelPrivacy,
    };
    await tx.insertKey({ ...key, secretDigest: digestSecret(secret) });
    return { key, secret };
  }
}

const bigintAsText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** Stable text of a create request: the same request always hashes alike, whatever the JSON key order. */
function canonicalInput(input: NewKeyInput): string {
  const { type, description, expiresAt, limitUsd, limitDiem, limitPeriod, modelPrivacy } = input;
  return JSON.stringify([type, description, expiresAt, limitUsd, limitDiem, limitPeriod, modelPrivacy], bigintAsText);
}

function encodeCreated(c: CreatedKey): string {
  return JSON.stringify(c, bigintAsText);
}

function decodeCreated(text: string): CreatedKey {
  const c = JSON.parse(text) as CreatedKey;
  const toBig = (v: unknown) => (v === null ? null : BigInt(v as string));
  c.key.limitUsd = toBig(c.key.limitUsd);
  c.key.limitDiem = toBig(c.key.limitDiem);
  return c;
}
