import type { ModelRateLimits, RateLimit, RateLimitLogEntry } from '@venice-keys/sdk';
import { useMemo, useState } from 'preact/hooks';
import { ErrorNotice } from '../components/error-notice.js';
import { TableHead } from '../components/table-head.js';
import { UsageBar } from '../components/usage-bar.js';
import { formatCountdown, formatDateTime, formatInteger } from '../format.js';
import { useLoad } from '../load.js';
import { useEvery, useNow } from '../now.js';

const TYPES = ['RPM', 'RPD', 'TPM'] as const;
const LIVE_REFRESH_MS = 5_000;

export function LimitsPage() {
  const limits = useLoad((c, signal) => c.apiKeys.getRateLimits({ signal }), []);
  const now = useNow();
  useEvery(LIVE_REFRESH_MS, limits.reload);
  return (
    <>
      <div class="page-head">
        <h1>Rate limits</h1>
        <button type="button" class="button" onClick={limits.reload}>
          Refresh
        </button>
      </div>
      <p class="muted">
        The limits of the key you are signed in with, per model, with what the current window has used. They refresh
        every {LIVE_REFRESH_MS / 1000} seconds.
      </p>
      <ErrorNotice error={limits.error} />
      {limits.data && (
        <>
          <p>
            Access: <strong>{limits.data.accessPermitted ? 'permitted' : 'refused'}</strong> · tier{' '}
            <strong>{limits.data.apiTier.id}</strong>
          </p>
          <table class="table limits-table" aria-label="Rate limits per model">
            <thead>
              <tr>
                <th scope="col">Model</th>
                {TYPES.map((t) => (
                  <th scope="col">{t}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {limits.data.rateLimits.map((model) => (
                <ModelRow model={model} now={now} />
              ))}
            </tbody>
          </table>
        </>
      )}
      <BreachLog />
    </>
  );
}

function ModelRow({ model, now }: { model: ModelRateLimits; now: number }) {
  return (
    <tr data-model={model.apiModelId}>
      <th scope="row" data-label="Model">
        <span class="mono">{model.apiModelId}</span>
      </th>
      {TYPES.map((type) => {
        const limit = model.rateLimits.find((l) => l.type === type);
        return <td data-label={type}>{limit ? <Headroom limit={limit} now={now} /> : '—'}</td>;
      })}
    </tr>
  );
}

function Headroom({ limit, now }: { limit: RateLimit; now: number }) {
  const used = limit.used ?? 0;
  const remaining = limit.remaining ?? Math.max(0, limit.amount - used);
  const resetsAt = limit.resetsAt ? Date.parse(limit.resetsAt) : undefined;
  return (
    <div>
      <UsageBar
        used={used}
        limit={limit.amount}
        text={`${formatInteger(remaining)} of ${formatInteger(limit.amount)} left`}
      />
      {resetsAt !== undefined && (
        <span class="muted small">resets in {resetsAt > now ? formatCountdown(resetsAt, now) : 'a moment'}</span>
      )}
    </div>
  );
}

const ALL = '';

function BreachLog() {
  const log = useLoad((c, signal) => c.apiKeys.getRateLimitLogs({ signal }), []);
  const keys = useLoad((c, signal) => c.apiKeys.list({}, { signal }), []);
  const [filter, setFilter] = useState({ model: ALL, type: ALL, key: ALL });
  const entries = log.data?.data ?? [];
  const names = useMemo(
    () => new Map((keys.data ?? []).map((k) => [k.id, `${k.description} (…${k.last6Chars})`])),
    [keys.data],
  );
  const options = (pick: (e: RateLimitLogEntry) => string) => [...new Set(entries.map(pick))].sort();
  const shown = entries.filter(
    (e) =>
      (filter.model === ALL || e.modelId === filter.model) &&
      (filter.type === ALL || e.rateLimitType === filter.type) &&
      (filter.key === ALL || e.apiKeyId === filter.key),
  );
  const select = (field: keyof typeof filter, label: string, values: string[], name = (v: string) => v) => (
    <div class="field">
      <label for={`breach-${field}`}>{label}</label>
      <select
        id={`breach-${field}`}
        class="input"
        value={filter[field]}
        onChange={(e) => setFilter({ ...filter, [field]: e.currentTarget.value })}
      >
        <option value={ALL}>All</option>
        {values.map((v) => (
          <option value={v}>{name(v)}</option>
        ))}
      </select>
    </div>
  );
  return (
    <section class="card" aria-labelledby="breaches-title">
      <div class="page-head">
        <h2 id="breaches-title">Breaches</h2>
        <button type="button" class="button" onClick={log.reload}>
          Refresh
        </button>
      </div>
      <p class="muted">The account's last 50 refused requests, newest first.</p>
      <div class="filters">
        {select(
          'model',
          'Model',
          options((e) => e.modelId),
        )}
        {select(
          'type',
          'Limit',
          options((e) => e.rateLimitType),
        )}
        {select(
          'key',
          'Key',
          options((e) => e.apiKeyId),
          (id) => names.get(id) ?? id,
        )}
      </div>
      <ErrorNotice error={log.error} />
      {log.data && shown.length === 0 && <p class="muted">No breaches{entries.length ? ' match' : ''}.</p>}
      {shown.length > 0 && (
        <table class="table breach-table" aria-label="Breaches">
          <TableHead columns={['When', 'Limit', 'Model', 'Key', 'Tier']} />
          <tbody>
            {shown.map((e) => (
              <tr>
                <td data-label="When">{formatDateTime(e.timestamp)}</td>
                <td data-label="Limit">
                  <span class="badge">{e.rateLimitType}</span>
                </td>
                <td data-label="Model">
                  <span class="mono">{e.modelId}</span>
                </td>
                <td data-label="Key">{names.get(e.apiKeyId) ?? e.apiKeyId}</td>
                <td data-label="Tier">{e.rateLimitTier}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
