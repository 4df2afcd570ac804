import type { ApiKey, CreatedApiKey } from '@venice-keys/sdk';
import { useState } from 'preact/hooks';
import { DailyChart } from '../components/chart.js';
import { ErrorNotice } from '../components/error-notice.js';
import { KeyActions } from '../components/key-actions.js';
import { KeyForm, updateParams, valuesOf } from '../components/key-form.js';
import { SecretNotice } from '../components/secret-notice.js';
import { DaysSwitch } from '../components/segmented.js';
import { SpendBar, UsageBar } from '../components/usage-bar.js';
import { formatDateTime, formatMoney, formatPercent, PERIOD_LABEL } from '../format.js';
import { periodUsage } from '../keys.js';
import { useAction, useLoad } from '../load.js';
import { hrefOf } from '../route.js';
import { dailyByName, shareOfSpend } from '../usage.js';

export function KeyPage({ id }: { id: string }) {
  const key = useLoad((c, signal) => c.apiKeys.retrieve(id, { signal }), [id]);
  const [rotated, setRotated] = useState<CreatedApiKey | undefined>(undefined);
  return (
    <>
      <p>
        <a href={hrefOf({ page: 'keys' })}>← All keys</a>
      </p>
      {rotated && (
        <SecretNotice
          secret={rotated.apiKey}
          description={rotated.description}
          onDone={() => {
            location.hash = hrefOf({ page: 'key', id: rotated.id });
            setRotated(undefined);
          }}
        />
      )}
      <ErrorNotice error={key.error} />
      {key.data && (
        <KeyDetails
          apiKey={key.data}
          onSaved={key.reload}
          onRevoked={() => {
            location.hash = hrefOf({ page: 'keys' });
          }}
          onRotated={setRotated}
        />
      )}
    </>
  );
}

interface DetailsProps {
  apiKey: ApiKey;
  onSaved(): void;
  onRevoked(): void;
  onRotated(created: CreatedApiKey): void;
}

function KeyDetails({ apiKey, onSaved, onRevoked, onRotated }: DetailsProps) {
  const save = useAction();
  const [saved, setSaved] = useState(false);
  const initial = valuesOf(apiKey);
  return (
    <>
      <div class="page-head">
        <h1>
          {apiKey.description} <span class="muted mono small">…{apiKey.last6Chars}</span>
        </h1>
        <KeyActions apiKey={apiKey} onRevoked={onRevoked} onRotated={onRotated} />
      </div>
      <section class="card" aria-labelledby="facts-title">
        <h2 id="facts-title">Key</h2>
        <dl class="facts">
          <dt>Id</dt>
          <dd class="mono">{apiKey.id}</dd>
          <dt>Type</dt>
          <dd>{apiKey.apiKeyType}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(apiKey.createdAt)}</dd>
          <dt>Expires</dt>
          <dd>{apiKey.expiresAt ? formatDateTime(apiKey.expiresAt) : 'never'}</dd>
          <dt>Last used</dt>
          <dd>{apiKey.lastUsedAt ? formatDateTime(apiKey.lastUsedAt) : 'never'}</dd>
          <dt>Last 7 days</dt>
          <dd>
            {formatMoney(apiKey.usage?.trailingSevenDays.usd, 'USD')} ·{' '}
            {formatMoney(apiKey.usage?.trailingSevenDays.diem, 'DIEM')}
          </dd>
          <dt>This period ({PERIOD_LABEL[apiKey.limitPeriod]})</dt>
          <dd>
            {periodUsage(apiKey).map((cap) => (
              <SpendBar used={cap.used} limit={cap.limit} currency={cap.currency} />
            ))}
            {periodUsage(apiKey).length === 0 && 'no limit'}
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        {saved && (
          <div class="notice" role="status">
            Saved.
          </div>
        )}
        <KeyForm
          key={JSON.stringify(initial)}
          mode="edit"
          initial={initial}
          action={save}
          submitLabel="Save changes"
          onSubmit={async (values) => {
            setSaved(false);
            if (await save.run((c) => c.apiKeys.update(updateParams(apiKey.id, initial, values)))) {
              setSaved(true);
              onSaved();
            }
          }}
        />
      </section>
      <KeyUsage apiKey={apiKey} />
    </>
  );
}

/**
 * Daily spend comes from the analytics' per-key series, which names keys by description; a key
 * whose description another key shares cannot be told apart there, so its chart is not drawn.
 */
function KeyUsage({ apiKey }: { apiKey: ApiKey }) {
  const [days, setDays] = useState<7 | 30>(7);
  const analytics = useLoad((c, signal) => c.billing.usageAnalytics({ lookback: `${days}d` }, { signal }), [days]);
  const keys = useLoad((c, signal) => c.apiKeys.list({}, { signal }), []);
  const a = analytics.data;
  const share = a && shareOfSpend(a.byKey, apiKey.id);
  const ambiguous = (keys.data ?? []).filter((k) => k.description === apiKey.description).length > 1;
  return (
    <section class="card" aria-labelledby="usage-title">
      <div class="page-head">
        <h2 id="usage-title">Usage</h2>
        <DaysSwitch name="key-days" options={[7, 30] as const} value={days} onChange={setDays} />
      </div>
      <ErrorNotice error={analytics.error} />
      {share && (
        <div class="share">
          <UsageBar
            neutral
            used={share.key}
            limit={share.account || 1}
            text={`${formatPercent(share.account ? share.key / share.account : 0)} of the account's spend in the last ${days} days (${formatMoney(share.key, 'USD')} of ${formatMoney(share.account, 'USD')}, USD and DIEM together)`}
          />
        </div>
      )}
      {a && !ambiguous && (
        <DailyChart
          title={`Spend per day, last ${days} days (USD and DIEM)`}
          series={[{ name: apiKey.description }]}
          rows={dailyByName(a.byKeyDaily, [apiKey.description], days, Date.now())}
          format={(v) => v.toFixed(4)}
        />
      )}
      {a && ambiguous && (
        <p class="muted">Another key has the same description, so the daily chart cannot tell them apart.</p>
      )}
    </section>
  );
}
