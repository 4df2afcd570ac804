import { type BillingUsageHistoryParams, USAGE_CURRENCIES, type UsageCurrency } from '@venice-keys/sdk';
import { useState } from 'preact/hooks';
import { DailyChart, TotalsChart } from '../components/chart.js';
import { ErrorNotice } from '../components/error-notice.js';
import { DaysSwitch } from '../components/segmented.js';
import { TableHead } from '../components/table-head.js';
import { formatCountdown, formatDateTime, formatMoney } from '../format.js';
import { useAction, useLoad } from '../load.js';
import { useNow } from '../now.js';
import { dailyByName, dailyTotals } from '../usage.js';

export function BillingPage() {
  return (
    <>
      <h1>Billing</h1>
      <Balances />
      <UsageCharts />
      <UsageHistory />
    </>
  );
}

function Balances() {
  const balance = useLoad((c, signal) => c.billing.getBalance({ signal }), []);
  const limits = useLoad((c, signal) => c.apiKeys.getRateLimits({ signal }), []);
  const now = useNow();
  const b = balance.data;
  const resetAt = limits.data ? Date.parse(limits.data.nextEpochBegins) : undefined;
  return (
    <section class="card" aria-labelledby="balances-title">
      <h2 id="balances-title">Balances</h2>
      <ErrorNotice error={balance.error ?? limits.error} />
      {b && (
        <div class="stats">
          <div class="stat">
            <span class="stat-label">USD</span>
            <span class="stat-value">{formatMoney(b.balances.usd, 'USD')}</span>
          </div>
          <div class="stat">
            <span class="stat-label">DIEM left today</span>
            <span class="stat-value">{formatMoney(b.balances.diem, 'DIEM')}</span>
          </div>
          <div class="stat">
            <span class="stat-label">DIEM allocation per day</span>
            <span class="stat-value">{formatMoney(b.diemEpochAllocation, 'DIEM')}</span>
          </div>
          <div class="stat">
            <span class="stat-label">DIEM resets</span>
            <span class="stat-value">{resetAt === undefined ? '—' : `in ${formatCountdown(resetAt, now)}`}</span>
            {resetAt !== undefined && <span class="stat-note">{formatDateTime(new Date(resetAt).toISOString())}</span>}
          </div>
          <div class="stat">
            <span class="stat-label">Spending</span>
            <span class="stat-value">{b.canConsume ? (b.consumptionCurrency ?? '—') : 'nothing left to spend'}</span>
          </div>
        </div>
      )}
    </section>
  );
}

const LOOKBACKS = [7, 30, 90] as const;

function UsageCharts() {
  const [days, setDays] = useState<(typeof LOOKBACKS)[number]>(30);
  const analytics = useLoad((c, signal) => c.billing.usageAnalytics({ lookback: `${days}d` }, { signal }), [days]);
  const a = analytics.data;
  const now = Date.now();
  return (
    <section class="card" aria-labelledby="usage-charts-title">
      <div class="page-head">
        <h2 id="usage-charts-title">Usage</h2>
        <DaysSwitch name="billing-days" options={LOOKBACKS} value={days} onChange={setDays} />
      </div>
      <ErrorNotice error={analytics.error} />
      {a && (
        <>
          <DailyChart
            title={`Spend per day, last ${days} days`}
            series={[{ name: 'USD' }, { name: 'DIEM' }]}
            rows={dailyTotals(a, days, now)}
            format={(v) => v.toFixed(4)}
          />
          {a.topModels.length > 0 && (
            <DailyChart
              title="Spend per day by model (top models, USD and DIEM)"
              series={a.topModels.map((name) => ({ name }))}
              rows={dailyByName(a.byModelDaily, a.topModels, days, now)}
              format={(v) => v.toFixed(4)}
            />
          )}
          <TotalsChart
            title="Spend per model (USD and DIEM)"
            items={a.byModel.map((m) => ({ name: m.modelName, value: m.totalUsd + m.totalDiem }))}
            format={(v) => v.toFixed(4)}
          />
          {a.byModel.length === 0 && <p class="muted">No usage in this period.</p>}
        </>
      )}
    </section>
  );
}

const PAGE_SIZES = [10, 25, 50, 100] as const;

/** The ledger, one cursor page at a time; earlier cursors are kept so that "Previous" needs no server support. */
function UsageHistory() {
  const [filters, setFilters] = useState<{ currency: UsageCurrency | ''; pageSize: number }>({
    currency: '',
    pageSize: 25,
  });
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const params: BillingUsageHistoryParams = cursor
    ? { cursor }
    : { pageSize: filters.pageSize, ...(filters.currency ? { currency: filters.currency } : {}) };
  const page = useLoad((c, signal) => c.billing.usageHistoryPage(params, { signal }), [JSON.stringify(params)]);
  const csv = useAction();
  const keys = useLoad((c, signal) => c.apiKeys.list({}, { signal }), []);
  const keyName = (id: string | undefined) => {
    const key = id && keys.data?.find((k) => k.id === id);
    return key ? `${key.description} (…${key.last6Chars})` : (id ?? '—');
  };
  const setFilter = (change: Partial<typeof filters>) => {
    setFilters({ ...filters, ...change });
    setCursors([undefined]);
  };
  const download = async () => {
    const result = await csv.run((c) => c.billing.usageHistoryCsv(params));
    if (!result) return;
    const url = URL.createObjectURL(new Blob([result.csv], { type: 'text/csv' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `billing-usage-history-page-${cursors.length}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">Usage history</h2>
      <div class="filters">
        <div class="field">
          <label for="history-currency">Currency</label>
          <select
            id="history-currency"
            class="input"
            value={filters.currency}
            onChange={(e) => setFilter({ currency: e.currentTarget.value as UsageCurrency | '' })}
          >
            <option value="">All</option>
            {USAGE_CURRENCIES.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="history-size">Rows per page</label>
          <select
            id="history-size"
            class="input"
            value={String(filters.pageSize)}
            onChange={(e) => setFilter({ pageSize: Number(e.currentTarget.value) })}
          >
            {PAGE_SIZES.map((n) => (
              <option value={String(n)}>{n}</option>
            ))}
          </select>
        </div>
        <div class="actions">
          <button type="button" class="button" onClick={download} disabled={csv.busy}>
            Download CSV (this page)
          </button>
        </div>
      </div>
      <ErrorNotice error={page.error ?? csv.error} />
      {page.data && page.data.data.length === 0 && <p class="muted">No usage recorded.</p>}
      {page.data && page.data.data.length > 0 && (
        <table class="table history-table" aria-label="Usage history">
          <TableHead columns={['When', 'SKU', 'Tokens', 'Amount', 'Key']} />
          <tbody>
            {page.data.data.map((e) => (
              <tr>
                <td data-label="When">{formatDateTime(e.timestamp)}</td>
                <td data-label="SKU">
                  <span class="mono">{e.sku}</span>
                </td>
                <td data-label="Tokens">{Math.round(e.units * 1e6).toLocaleString()}</td>
                <td data-label="Amount">{formatMoney(-e.amount, e.currency === 'DIEM' ? 'DIEM' : 'USD')}</td>
                <td data-label="Key" class="small">
                  {keyName(e.apiKeyId)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Usage history pages">
        <button
          type="button"
          class="button"
          disabled={cursors.length === 1 || page.loading}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous page
        </button>
        <span class="muted small">Page {cursors.length}</span>
        <button
          type="button"
          class="button"
          disabled={!page.data?.nextCursor || page.loading}
          onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}
