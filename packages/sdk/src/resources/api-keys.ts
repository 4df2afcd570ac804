import type { RequestOptions, VeniceClient } from '../client.js';
import { APIPromise } from '../core/api-promise.js';
import { VeniceError, VeniceValidationError } from '../core/errors.js';
import { iteratePages } from '../core/pagination.js';
import * as check from '../core/validation.js';

export const API_KEY_TYPES = ['INFERENCE', 'ADMIN'] as const;
export const LIMIT_PERIODS = ['EPOCH', 'MONTH', 'LIFETIME'] as const;
export const MODEL_PRIVACIES = ['ALL', 'PRIVATE_TEXT', 'PRIVATE_ONLY'] as const;

export type ApiKeyType = (typeof API_KEY_TYPES)[number];
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];
export type ModelPrivacy = (typeof MODEL_PRIVACIES)[number];

/** Spend caps in USD / DIEM; `null` means no cap. `vcu` is deprecated and always null on read. */
export interface ConsumptionLimits {
  usd?: number | null;
  diem?: number | null;
  vcu?: number | null;
}

/** A key as listed and retrieved. Usage figures are strings with 4 decimals (`"4.2000"`). */
export interface ApiKey {
  id: string;
  apiKeyType: ApiKeyType;
  description: string;
  createdAt: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  last6Chars: string;
  consumptionLimits: ConsumptionLimits;
  limitPeriod: LimitPeriod;
  modelPrivacy: ModelPrivacy;
  usage?: { trailingSevenDays: { usd: string; diem: string; vcu?: string | null } };
  /** Present only when the key has a USD or DIEM limit. */
  currentPeriodUsage?: { usd: string; diem: string };
}

/** The answer to a create: the only time the secret `apiKey` is shown. */
export interface CreatedApiKey {
  id: string;
  apiKey: string;
  apiKeyType: ApiKeyType;
  description: string;
  expiresAt: string | null;
  consumptionLimit: ConsumptionLimits;
  limitPeriod: LimitPeriod;
  modelPrivacy: ModelPrivacy;
}

export interface ApiKeyCreateParams {
  apiKeyType: ApiKeyType;
  /** 1 to 64 characters. */
  description: string;
  /** `""` (never), `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:mm:ss[.sss]Z`. */
  expiresAt?: string;
  consumptionLimit?: ConsumptionLimits;
  limitPeriod?: LimitPeriod;
  modelPrivacy?: ModelPrivacy;
}

export interface ApiKeyUpdateParams {
  id: string;
  description?: string;
  /** `""` or `null` removes the expiry. */
  expiresAt?: string | null;
  /** Only the sub-fields sent change; `null` removes that cap. */
  consumptionLimit?: ConsumptionLimits;
  limitPeriod?: LimitPeriod;
  modelPrivacy?: ModelPrivacy;
}

export interface ApiKeyListParams {
  /** 1-based. */
  page?: number;
  /** 1 to 500. */
  limit?: number;
}

export interface ApiKeyIterParams {
  /** Keys per request, 1 to 500. Default 100. */
  pageSize?: number;
  /** Stop after this many keys. Default: all. */
  maxItems?: number;
}

export interface ApiKeyDeleteResponse {
  success: boolean;
}

export interface RateLimit {
  type: 'RPM' | 'RPD' | 'TPM' | (string & {});
  amount: number;
  /** Not sent by api.venice.ai; venice-keys servers add the live window. */
  used?: number;
  remaining?: number;
  resetsAt?: string;
}

export interface ModelRateLimits {
  apiModelId?: string;
  rateLimits: RateLimit[];
}

/** What the calling key may do right now. */
export interface RateLimits {
  accessPermitted: boolean;
  apiTier: { id: string; isCharged: boolean };
  balances: { USD: number; DIEM: number; [currency: string]: number };
  keyExpiration: string | null;
  nextEpochBegins: string;
  rateLimits: ModelRateLimits[];
}

export interface RateLimitLogEntry {
  apiKeyId: string;
  modelId: string;
  rateLimitTier: string;
  rateLimitType: 'RPM' | 'RPD' | 'TPM' | 'FAILED_REQUESTS' | 'UNSUPPORTED_FEATURE_REQUESTS' | (string & {});
  timestamp: string;
}

export interface RateLimitLogsResponse {
  object: 'list';
  data: RateLimitLogEntry[];
}

export interface Web3Token {
  token: string;
}

export interface Web3KeyCreateParams extends Omit<ApiKeyCreateParams, 'description'> {
  /** The wallet address (0x…). */
  address: string;
  /** The wallet's EIP-191 `personal_sign` of `token`. */
  signature: string;
  /** From `getWeb3Token()`. Single use, valid 15 minutes. */
  token: string;
  /** Default "Web3 API Key". */
  description?: string;
}

/**
 * Anything that signs an EIP-191 personal message: a viem account (`signMessage({ message })`)
 * or an ethers signer (`signMessage(message)`). The SDK depends on neither.
 */
export type MessageSigner =
  | { type: string; address: string; signMessage(args: { message: string }): Promise<string> }
  | { address?: string; getAddress?(): Promise<string>; signMessage(message: string): Promise<string> };

export interface Web3KeyMintParams extends Omit<Web3KeyCreateParams, 'address' | 'signature' | 'token'> {
  signer: MessageSigner;
  /** Defaults to the signer's address; give it for a contract wallet the signer owns. */
  address?: string;
}

type KeySettings = Pick<ApiKeyUpdateParams, 'expiresAt' | 'consumptionLimit' | 'limitPeriod' | 'modelPrivacy'>;

/** The settings a create, an update and a mint share; only an update may clear the expiry with `null`. */
function checkSettings(p: KeySettings, nullExpiry = false): void {
  check.expiresAt(p.expiresAt, nullExpiry);
  check.consumptionLimit(p.consumptionLimit);
  check.oneOf('limitPeriod', p.limitPeriod, LIMIT_PERIODS, false);
  check.oneOf('modelPrivacy', p.modelPrivacy, MODEL_PRIVACIES, false);
}

/** Everything of a web3 mint but the wallet proof. */
function checkWeb3Settings(p: Omit<Web3KeyCreateParams, 'address' | 'signature' | 'token'>): void {
  check.oneOf('apiKeyType', p?.apiKeyType, API_KEY_TYPES, true);
  check.description(p.description, false);
  checkSettings(p);
}

export class ApiKeys {
  constructor(private readonly client: VeniceClient) {}

  /**
   * Lists the account's active keys, newest first (`page`/`limit` are sent only when given).
   *
   * @example
   * const keys = await venice.apiKeys.list();
   * const second = await venice.apiKeys.list({ page: 2, limit: 50 });
   */
  list(params: ApiKeyListParams = {}, options?: RequestOptions): APIPromise<ApiKey[]> {
    return this.client.request(
      () => {
        check.integer('page', params.page, 1, Number.MAX_SAFE_INTEGER);
        check.integer('limit', params.limit, 1, 500);
        return { method: 'GET', path: '/api_keys', query: { page: params.page, limit: params.limit }, kind: 'read' };
      },
      options,
      // Python's SDK also accepts a bare array; a list is what callers of `list` always get.
      (b) => (Array.isArray(b) ? b : unwrap<ApiKey[]>(b)),
    );
  }

  /**
   * Iterates over every active key, fetching pages lazily; never loops on servers that ignore paging.
   *
   * @example
   * for await (const key of venice.apiKeys.iterAll({ pageSize: 100 })) console.log(key.id, key.description);
   */
  iterAll(params: ApiKeyIterParams = {}, options?: RequestOptions): AsyncIterable<ApiKey> {
    const { pageSize = 100, maxItems } = params;
    const fetchPage = (page: number, limit: number) => this.list({ page, limit }, options);
    return {
      async *[Symbol.asyncIterator]() {
        check.integer('pageSize', pageSize, 1, 500);
        check.integer('maxItems', maxItems, 0, Number.MAX_SAFE_INTEGER);
        yield* iteratePages(fetchPage, { pageSize, maxItems });
      },
    };
  }

  /**
   * Creates a key and returns its secret, which is never shown again. Safe to retry: an
   * Idempotency-Key is sent (generated unless `options.idempotencyKey` is given) and reused.
   *
   * @example
   * const { id, apiKey } = await venice.apiKeys.create({ apiKeyType: 'INFERENCE', description: 'backend', consumptionLimit: { usd: 50 } });
   */
  create(params: ApiKeyCreateParams, options?: RequestOptions): APIPromise<CreatedApiKey> {
    return this.client.request(
      () => {
        check.oneOf('apiKeyType', params?.apiKeyType, API_KEY_TYPES, true);
        check.description(params.description, true);
        checkSettings(params);
        return { method: 'POST', path: '/api_keys', body: params, kind: 'create' };
      },
      options,
      unwrap<CreatedApiKey>,
    );
  }

  /**
   * Changes a key's description, expiry, limits, period or privacy; only the fields given change.
   *
   * @example
   * const key = await venice.apiKeys.update({ id, description: 'renamed', consumptionLimit: { usd: 100 }, expiresAt: null });
   */
  update(params: ApiKeyUpdateParams, options?: RequestOptions): APIPromise<ApiKey> {
    return this.client.request(
      () => {
        check.id(params?.id);
        check.description(params.description, false);
        checkSettings(params, true);
        return { method: 'PATCH', path: '/api_keys', body: params, kind: 'update' };
      },
      options,
      unwrap<ApiKey>,
    );
  }

  /**
   * Revokes a key at once.
   *
   * @example
   * const { success } = await venice.apiKeys.delete('e28e82dc-9df2-4b47-b726-d0a222ef2ab5');
   */
  delete(id: string, options?: RequestOptions): APIPromise<ApiKeyDeleteResponse> {
    return this.client.request(() => {
      check.id(id);
      return { method: 'DELETE', path: '/api_keys', query: { id }, kind: 'delete' };
    }, options);
  }

  /**
   * Fetches one key by id (`NotFoundError` when it is unknown, revoked or expired).
   *
   * @example
   * const key = await venice.apiKeys.retrieve('e28e82dc-9df2-4b47-b726-d0a222ef2ab5');
   */
  retrieve(id: string, options?: RequestOptions): APIPromise<ApiKey> {
    return this.client.request(
      () => {
        check.id(id);
        return { method: 'GET', path: `/api_keys/${encodeURIComponent(id)}`, kind: 'read' };
      },
      options,
      unwrap<ApiKey>,
    );
  }

  /**
   * Balances, tier and per-model rate limits as they apply to the calling key (any key type), unwrapped from `{ data }`.
   *
   * @example
   * const { accessPermitted, balances, rateLimits } = await venice.apiKeys.getRateLimits();
   */
  getRateLimits(options?: RequestOptions): APIPromise<RateLimits> {
    return this.client.request(
      () => ({ method: 'GET', path: '/api_keys/rate_limits', kind: 'read' }),
      options,
      unwrap<RateLimits>,
    );
  }

  /**
   * The account's last 50 rate-limit breaches, newest first, as the `{ object: 'list', data }` the wire sends.
   *
   * @example
   * const { data: breaches } = await venice.apiKeys.getRateLimitLogs();
   */
  getRateLimitLogs(options?: RequestOptions): APIPromise<RateLimitLogsResponse> {
    return this.client.request(() => ({ method: 'GET', path: '/api_keys/rate_limits/log', kind: 'read' }), options);
  }

  /**
   * A 15-minute, single-use token for a wallet to sign (step 1 of minting a web3 key), unwrapped to `{ token }`.
   *
   * @example
   * const { token } = await venice.apiKeys.getWeb3Token();
   */
  getWeb3Token(options?: RequestOptions): APIPromise<Web3Token> {
    return this.client.request(
      () => ({ method: 'GET', path: '/api_keys/generate_web3_key', kind: 'read' }),
      options,
      unwrap<Web3Token>,
    );
  }

  /**
   * Mints a key for a wallet that signed a token (step 2). The token is single-use, so this is
   * retried only after a 429.
   *
   * @example
   * const key = await venice.apiKeys.createWeb3Key({ address, signature, token, apiKeyType: 'INFERENCE' });
   */
  createWeb3Key(params: Web3KeyCreateParams, options?: RequestOptions): APIPromise<CreatedApiKey> {
    return this.client.request(
      () => {
        check.walletAddress(params?.address);
        check.nonEmptyString('signature', params.signature);
        check.nonEmptyString('token', params.token);
        checkWeb3Settings(params);
        return { method: 'POST', path: '/api_keys/generate_web3_key', body: params, kind: 'mint' };
      },
      options,
      unwrap<CreatedApiKey>,
    );
  }

  /**
   * Both web3 steps with any signer (a viem account, an ethers wallet): token, signature, key.
   * `.withResponse()` describes the final POST.
   *
   * @example
   * import { privateKeyToAccount } from 'viem/accounts';
   * const key = await venice.apiKeys.mintWeb3Key({ signer: privateKeyToAccount(pk), apiKeyType: 'INFERENCE' });
   */
  mintWeb3Key(params: Web3KeyMintParams, options?: RequestOptions): APIPromise<CreatedApiKey> {
    let minted: APIPromise<CreatedApiKey> | undefined;
    const response = (async () => {
      const { signer, address, ...rest } = params ?? ({} as Web3KeyMintParams);
      if (typeof signer?.signMessage !== 'function') {
        throw new VeniceValidationError('Invalid signer: expected an object with signMessage', 'signer');
      }
      checkWeb3Settings(rest);
      const wallet = address ?? (await signerAddress(signer));
      check.walletAddress(wallet);
      const { token } = await this.getWeb3Token(options);
      const signature = await signWith(signer, token);
      minted = this.createWeb3Key({ ...rest, address: wallet, signature, token }, options);
      return minted.asResponse();
    })();
    // The POST's own promise parses its response; this one only forwards it.
    return new APIPromise(response, () => minted!.then((key) => key));
  }
}

/** The `data` of a `{ data }` body; any other shape means the server is not speaking this API. */
function unwrap<T>(body: unknown): T {
  if (typeof body === 'object' && body !== null && 'data' in body) return (body as { data: T }).data;
  throw new VeniceError(`Unexpected response body: expected an object with "data", got ${preview(body)}`);
}

const preview = (body: unknown) => (body === undefined ? 'an empty body' : JSON.stringify(body).slice(0, 200));

/** viem accounts and clients have a `type` and take `{ message }`; ethers signers take the string. */
function signWith(signer: MessageSigner, message: string): Promise<string> {
  return 'type' in signer && typeof signer.type === 'string'
    ? (signer as { signMessage(a: { message: string }): Promise<string> }).signMessage({ message })
    : (signer as { signMessage(m: string): Promise<string> }).signMessage(message);
}

async function signerAddress(signer: MessageSigner): Promise<string> {
  if (typeof signer.address === 'string' && signer.address) return signer.address;
  if ('getAddress' in signer && typeof signer.getAddress === 'function') return signer.getAddress();
  throw new VeniceValidationError('Invalid signer: it has no address; pass `address`', 'address');
}
