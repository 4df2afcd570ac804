import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DenialReason, Metrics, UpstreamOutcome } from '../domain/ports/metrics.js';

/** Request metrics the HTTP edge records, next to the domain's. */
export interface RequestMetrics {
  request(method: string, route: string, status: number, seconds: number): void;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const UPSTREAM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The Prometheus adapter: one registry per process, served by `serveMetrics` on its own port. */
export class PrometheusMetrics implements Metrics, RequestMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'venice_keys_http_requests_total',
    help: 'HTTP requests answered, by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'venice_keys_http_request_duration_seconds',
    help: 'Time from request to the end of its answer (streams included)',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly auth = new Counter({
    name: 'venice_keys_auth_cache_total',
    help: 'Authentications answered from the cache (hit) or the store (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly admissions = new Counter({
    name: 'venice_keys_admissions_total',
    help: 'Inference admissions, by outcome and the limit that refused them',
    labelNames: ['outcome', 'limit'] as const,
    registers: [this.registry],
  });
  private readonly outstanding = new Gauge({
    name: 'venice_keys_reservations_outstanding',
    help: 'Reservations held by this instance and not yet settled or released',
    registers: [this.registry],
  });
  private readonly upstreamLatency = new Histogram({
    name: 'venice_keys_upstream_duration_seconds',
    help: 'Upstream calls, until their answer ended',
    labelNames: ['route', 'outcome'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers: [this.registry],
  });
  private readonly upstreamErrors = new Counter({
    name: 'venice_keys_upstream_errors_total',
    help: 'Upstream calls that failed, by kind',
    labelNames: ['route', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly ledgerLag = new Histogram({
    name: 'venice_keys_ledger_batch_lag_seconds',
    help: 'How long the oldest settlement of a ledger batch waited until the batch was durable',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly ledgerSize = new Histogram({
    name: 'venice_keys_ledger_batch_settlements',
    help: 'Settlements per durable ledger batch',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'venice_keys_' });
    // Label sets that exist from the start, so a dashboard shows zeros rather than gaps.
    for (const result of ['hit', 'miss']) this.auth.inc({ result }, 0);
    this.admissions.inc({ outcome: 'admitted', limit: 'none' }, 0);
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  authCache(hit: boolean): void {
    this.auth.inc({ result: hit ? 'hit' : 'miss' });
  }

  admitted(): void {
    this.admissions.inc({ outcome: 'admitted', limit: 'none' });
  }

  denied(reason: DenialReason): void {
    this.admissions.inc({ outcome: 'denied', limit: reason });
  }

  reservations(delta: number): void {
    this.outstanding.inc(delta);
  }

  upstream(route: string, seconds: number, outcome: UpstreamOutcome): void {
    this.upstreamLatency.observe({ route, outcome }, seconds);
    if (outcome !== 'ok') this.upstreamErrors.inc({ route, kind: outcome });
  }

  ledgerBatch(lagSeconds: number, settlements: number): void {
    this.ledgerLag.observe(lagSeconds);
    this.ledgerSize.observe(settlements);
  }
}
