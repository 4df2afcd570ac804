import type { CatalogModel } from '../catalog.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Account, ApiKeyRecord, Breach, RateLimitType } from '../model.js';
import type { UsageLedger } from '../ports/ledger.js';
import { type DenialReason, type Metrics, NO_METRICS } from '../ports/metrics.js';
import type {
  ErrorBudget,
  HeldReservation,
  Reservations,
  ReserveOutcome,
  ReserveRequest,
  Spendable,
  WindowAsk,
  WindowState,
} from '../ports/reservations.js';
import { newOrderedId } from '../secrets.js';
import { chargeOf } from './hold.js';
import { LedgerWriter } from './ledger-writer.js';
import { describe, type GatewayLog } from './log.js';
import { costOfUsage } from './pricing.js';
import { type ReservationMeta, Settler, type SettleUsage } from './settlement.js';
import { MODEL_LIMIT_TYPES, modelWindows, moneyAsk } from './windows.js';

export interface InferenceDemand {
  key: ApiKeyRecord;
  account: Account;
  model: CatalogModel;
  requestId: string;
  /** A true upper bound of the prompt's tokens: the money bound. */
  promptTokensUpper: number;
  /** A tighter estimate, for TPM. */
  promptTokensEstimate: number;
  /** The output bound, times `n`. */
  outputTokensUpper: number;
}

export type { GatewayLog } from './log.js';

export interface Admitted {
  reservationId: string;
  /** `x-ratelimit-*` and `x-venice-balance-*` for the response. */
  headers: Record<string, string>;
  /** What a usage costs, capped at what was held, DIEM first. Pure and synchronous (for `cost` in the body). */
  costOf(usage: { promptTokens: number; completionTokens: number }): { usd: bigint; diem: bigint };
  /** Exactly once (later calls and a `release` after it do nothing); resolves when settled, never rejects. */
  settle(usage: SettleUsage): Promise<void>;
  /** Nothing charged (the upstream failed with no output); the request still counts against RPM/RPD. */
  release(): Promise<void>;
}

export interface GatewayOptions {
  /** `upstream.timeoutMs`: a reservation not settled by then (plus a margin) expires. */
  upstreamTimeoutMs: number;
  errorBudget?: ErrorBudget;
  metrics?: Metrics;
  /** Wire text of a balance header (the edge formats money; the runtime passes the http formatter). */
  balanceText(micros: bigint): string;
}

export interface BreachLog {
  recordBreach(breach: Breach): Promise<void>;
}

export const ERROR_BUDGET: ErrorBudget = { threshold: 50, windowMs: 30_000, blockMs: 30_000 };
const EXPIRY_MARGIN_MS = 30_000;
/** Where the TPM window stands among a model's windows (none when the tier has no limits). */
const TPM_WINDOW = MODEL_LIMIT_TYPES.indexOf('TPM');
const MIRROR_REBUILD_ATTEMPTS = 5;

const MESSAGES = {
  budget:
    'Too many failed attempts (> 50) resulting in a non-success status code. Please wait 30 seconds and try again.',
  rate: 'Rate limit exceeded',
  key_usd:
    'API key USD spend limit exceeded. Your account may still have USD balance, but this API key has reached its configured USD spending limit.',
  key_diem:
    'API key DIEM spend limit exceeded. Your account may still have DIEM balance, but this API key has reached its configured DIEM spending limit.',
  balance: 'Insufficient USD or Diem balance to complete request.',
  unavailable:
    'The rate-limit and balance service is unavailable; money-bearing requests are refused until it is back.',
};

/** The 403 a key's `modelPrivacy` gives this model, if any (also filters `/models`). */
export function privacyRefusal(key: ApiKeyRecord, model: CatalogModel): AppError | undefined {
  if (model.privacy !== 'anonymous') return undefined;
  const refused =
    key.modelPrivacy === 'PRIVATE_ONLY' ||
    (key.modelPrivacy === 'PRIVATE_TEXT' && (model.type === 'text' || model.type === 'embedding'));
  if (!refused) return undefined;
  return new AppError(
    'FORBIDDEN',
    `This API key is set to '${key.modelPrivacy}', but \`${model.id}\` is an Anonymous model. Choose a Private, TEE, or E2EE model, or change the model privacy setting of this API key.`,
    { body: { code: 'MODEL_PRIVACY_RESTRICTED' } },
  );
}

/**
 * Admission for the inference routes, in WIRE.md's order: error budget, model privacy, the account's
 * per-model RPM/RPD/TPM, then money. Everything counted is counted in one atomic step of the
 * reservations port, so a refused request consumes nothing anywhere, and concurrent requests on any
 * number of instances cannot overspend: the worst case is held before the upstream is called.
 */
export class GatewayService {
  private readonly writer: LedgerWriter;
  private readonly settler: Settler;
  private readonly budget: ErrorBudget;
  private readonly rebuilds = new Map<string, Promise<void>>();
  /** Settlements and releases under way, for `flush`. */
  private readonly settling = new Set<Promise<void>>();
  private readonly metrics: Metrics;

  constructor(
    private readonly reservations: Reservations,
    private readonly ledger: UsageLedger,
    private readonly breaches: BreachLog,
    private readonly clock: Clock,
    private readonly options: GatewayOptions,
    private readonly log: GatewayLog,
  ) {
    this.metrics = options.metrics ?? NO_METRICS;
    this.writer = new LedgerWriter(ledger, clock, this.metrics);
    this.settler = new Settler(reservations, this.writer, clock, log);
    this.budget = options.errorBudget ?? ERROR_BUDGET;
  }

  async admit(d: InferenceDemand): Promise<Admitted> {
    const now = this.clock.now();
    const refusal = privacyRefusal(d.key, d.model);
    if (refusal) {
      const until = await this.guard(() => this.reservations.blockedUntil(d.account.id, d.key.id, now));
      if (until !== null) throw this.budgetError(until, now);
      throw this.denied('privacy', refusal);
    }
    const limits = d.model.rateLimits[d.account.tier];
    // A request that could fit is never refused on an estimate above the limit: its TPM cost is clamped;
    // one whose prompt alone passes the whole limit costs more than the limit, so the window refuses it.
    const tpm = limits?.TPM ?? 0;
    const tokens = d.promptTokensEstimate > tpm ? tpm + 1 : Math.min(d.promptTokensEstimate + d.outputTokensUpper, tpm);
    const windows = modelWindows(d.model, d.account.tier, tokens);
    const prices = d.model.pricing;
    const amount = costOfUsage(prices, { promptTokens: d.promptTokensUpper, completionTokens: d.outputTokensUpper });
    const money = moneyAsk(d.key, d.account, amount, now);
    const meta: ReservationMeta = {
      requestId: d.requestId,
      modelId: d.model.id,
      embedding: d.model.type === 'embedding',
      inputPerMTok: prices.inputPerMTok.toString(),
      outputPerMTok: prices.outputPerMTok.toString(),
      promptTokensUpper: d.promptTokensUpper,
      outputTokensUpper: d.outputTokensUpper,
      admittedAt: now,
      tokenWindow: windows[TPM_WINDOW]?.name ?? null,
    };
    const request: ReserveRequest = {
      id: newOrderedId(),
      accountId: d.account.id,
      keyId: d.key.id,
      windows,
      money,
      now,
      deadline: now + this.options.upstreamTimeoutMs + EXPIRY_MARGIN_MS,
      meta: JSON.stringify(meta),
    };
    const outcome = await this.reserveWithMirrors(request);
    if (outcome.ok) {
      this.metrics.admitted();
      this.metrics.reservations(1);
      const held = outcome.reservation;
      const headers = headersOf(outcome.windows, outcome.spendable, this.options.balanceText);
      let done = false;
      const once = (work: () => Promise<void>) => {
        if (done) return Promise.resolve();
        done = true;
        const settling = work().finally(() => {
          this.metrics.reservations(-1);
          this.settling.delete(settling);
        });
        this.settling.add(settling);
        return settling;
      };
      const costOf = (u: { promptTokens: number; completionTokens: number }) => chargeOf(held, costOfUsage(prices, u));
      return {
        reservationId: held.id,
        headers,
        costOf,
        settle: (usage) => once(() => this.settler.settle(held, meta, usage, costOf(usage))),
        release: () => once(() => this.settler.release(held, meta)),
      };
    }
    if (outcome.reason === 'blocked') throw this.budgetError(outcome.until, now);
    if (outcome.reason === 'missing') throw this.unavailable(new Error('mirrors could not be rebuilt'));
    const headers = headersOf(outcome.windows, outcome.spendable, this.options.balanceText);
    if (outcome.reason === 'window') {
      const type = (windows[outcome.failed] as WindowAsk).name.slice(d.model.id.length + 1) as RateLimitType;
      if (outcome.firstRefusal) await this.breach(d, type, now);
      throw this.denied(
        type as DenialReason,
        new AppError('RATE_LIMITED', MESSAGES.rate, { retryAfterMs: outcome.retryAfterMs, headers }),
      );
    }
    const reason = outcome.reason === 'balance' ? 'balance' : 'key_limit';
    throw this.denied(reason, new AppError('PAYMENT_REQUIRED', MESSAGES[outcome.reason], { headers }));
  }

  /** Feeds the error budget: every inference response with a 4xx other than 429. */
  async recordFailure(key: ApiKeyRecord, account: Account, status: number, modelId = ''): Promise<void> {
    if (status < 400 || status >= 500 || status === 429) return;
    const now = this.clock.now();
    try {
      if (await this.reservations.recordFailure(account.id, key.id, this.budget, now))
        await this.breaches.recordBreach({
          id: newOrderedId(),
          accountId: account.id,
          apiKeyId: key.id,
          modelId,
          tier: account.tier,
          type: 'FAILED_REQUESTS',
          at: now,
        });
    } catch (error) {
      this.log.warn({ err: describe(error) }, 'error budget not updated');
    }
  }

  /** Settles reservations whose instance never did (crashed), at their held amount. Returns how many. */
  sweepExpired(limit = 200): Promise<number> {
    return this.settler.sweep(limit);
  }

  /** Sweeps now and then on this instance; any instance may sweep any reservation (claims are atomic). */
  startSweeper(everyMs = 5_000): () => void {
    const timer = setInterval(() => {
      this.sweepExpired().catch((error) => this.log.warn({ err: describe(error) }, 'expiry sweep failed'));
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Waits for every settlement begun so far to be durable and released in the counters: a shutdown that
   * closed Redis after the ledger write alone left those holds to the sweeper.
   */
  async flush(): Promise<void> {
    await this.writer.flush();
    while (this.settling.size > 0) await Promise.all(this.settling);
  }

  private async reserveWithMirrors(request: ReserveRequest): Promise<ReserveOutcome> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.guard(() =>
        this.reservations.reserve(request).catch((error: unknown) => {
          this.cancel(request);
          throw error;
        }),
      );
      if (outcome.ok || outcome.reason !== 'missing' || attempt >= MIRROR_REBUILD_ATTEMPTS) return outcome;
      await this.rebuild(request, outcome.generation);
    }
  }

  /**
   * A reserve that failed at the client (its reply late past the command timeout on a stalled event loop)
   * may still have run in the counters: left alone, that hold would keep money and window slots from
   * other requests and end charged by the sweeper for a request never served. A finalize of the same id,
   * sent after it on the same connection, releases all of it, or only marks the id done if it never ran.
   */
  private cancel(request: ReserveRequest): void {
    const m = request.money;
    const actualCosts = Object.fromEntries(request.windows.map((w) => [w.name, 0]));
    const reservation: HeldReservation = {
      id: request.id,
      accountId: request.accountId,
      keyId: request.keyId,
      day: m.day,
      keyPeriodStart: m.keyPeriodStart,
      windows: request.windows.map(({ name, windowMs, cost }) => ({
        name,
        windowMs,
        cost,
        windowStart: Math.floor(request.now / windowMs) * windowMs,
      })),
      deadline: request.deadline,
      meta: request.meta,
      usd: 0n,
      diem: 0n,
    };
    this.reservations
      .finalize({ reservation, charge: { usd: 0n, diem: 0n }, actualCosts, now: request.now })
      .catch((error) =>
        this.log.warn({ err: describe(error) }, 'failed reserve not cancelled; the sweeper charges it'),
      );
  }

  /**
   * Mirrors are rebuilt from the database before any money is admitted; a settlement racing the rebuild
   * bumps the generation and the rebuild starts over. Concurrent requests of one key share one rebuild.
   */
  private rebuild(request: ReserveRequest, generation: number): Promise<void> {
    const m = request.money;
    const name = [request.accountId, request.keyId, m.day, m.keyPeriodStart, generation].join(':');
    let running = this.rebuilds.get(name);
    if (!running) {
      running = (async () => {
        const facts = await this.guard(() =>
          this.ledger.mirrorFacts(request.accountId, request.keyId, m.keyPeriodStart, m.day),
        );
        await this.guard(() =>
          this.reservations.initMirrors(request.accountId, request.keyId, m, generation, facts, request.now),
        );
      })().finally(() => this.rebuilds.delete(name));
      this.rebuilds.set(name, running);
    }
    return running;
  }

  /** Counters or database unreachable: refuse (503) rather than admit money blind. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  private denied(reason: DenialReason, error: AppError): AppError {
    this.metrics.denied(reason);
    return error;
  }

  private unavailable(error: unknown): AppError {
    this.log.warn({ err: describe(error) }, 'admission refused: counters unavailable');
    return this.denied('unavailable', new AppError('UNAVAILABLE', MESSAGES.unavailable));
  }

  private budgetError(until: number, now: number): AppError {
    this.metrics.denied('FAILED_REQUESTS');
    return new AppError('RATE_LIMITED', MESSAGES.budget, {
      retryAfterMs: until - now,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-resets': String(until) },
    });
  }

  private async breach(d: InferenceDemand, type: RateLimitType, now: number): Promise<void> {
    try {
      await this.breaches.recordBreach({
        id: newOrderedId(),
        accountId: d.account.id,
        apiKeyId: d.key.id,
        modelId: d.model.id,
        tier: d.account.tier,
        type,
        at: now,
      });
    } catch (error) {
      this.log.warn({ err: describe(error) }, 'breach not logged');
    }
  }
}

function headersOf(
  windows: readonly WindowState[],
  spendable: Spendable,
  balanceText: (micros: bigint) => string,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const w of windows) {
    const family = w.name.endsWith(':RPM') ? 'requests' : w.name.endsWith(':TPM') ? 'tokens' : undefined;
    if (!family) continue;
    headers[`x-ratelimit-limit-${family}`] = String(w.limit);
    headers[`x-ratelimit-remaining-${family}`] = String(Math.max(0, w.limit - w.used));
    headers[`x-ratelimit-reset-${family}`] = String(w.resetsAt);
  }
  headers['x-venice-balance-usd'] = balanceText(spendable.usd);
  headers['x-venice-balance-diem'] = balanceText(spendable.diem);
  return headers;
}
