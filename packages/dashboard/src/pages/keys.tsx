import type { ApiKey, CreatedApiKey } from '@venice-keys/sdk';
import { useMemo, useState } from 'preact/hooks';
import { ErrorNotice } from '../components/error-notice.js';
import { KeyActions } from '../components/key-actions.js';
import { createParams, KeyForm, valuesOf } from '../components/key-form.js';
import { SecretNotice } from '../components/secret-notice.js';
import { SpendBar } from '../components/usage-bar.js';
import { formatDate, formatDateTime, PERIOD_LABEL } from '../format.js';
import { periodUsage, type SortColumn, searchKeys, sortKeys } from '../keys.js';
import { useAction, useLoad } from '../load.js';
import { hrefOf } from '../route.js';

const COLUMNS: { column: SortColumn; label: string }[] = [
  { column: 'description', label: 'Description' },
  { column: 'apiKeyType', label: 'Type' },
  { column: 'last6Chars', label: 'Key' },
  { column: 'createdAt', label: 'Created' },
  { column: 'expiresAt', label: 'Expires' },
  { column: 'lastUsedAt', label: 'Last used' },
  { column: 'usage', label: 'Usage this period' },
];

export function KeysPage() {
  const keys = useLoad((c, signal) => c.apiKeys.list({}, { signal }), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | undefined>(undefined);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ column: SortColumn; descending: boolean }>({
    column: 'createdAt',
    descending: true,
  });
  const create = useAction();

  const shown = useMemo(
    () => sortKeys(searchKeys(keys.data ?? [], query), sort.column, sort.descending),
    [keys.data, query, sort],
  );
  const toggleSort = (column: SortColumn) =>
    setSort((s) => ({ column, descending: s.column === column ? !s.descending : column !== 'description' }));

  const submit = async (values: Parameters<typeof createParams>[0]) => {
    const result = await create.run((c) => c.apiKeys.create(createParams(values)));
    if (result) {
      setCreated(result);
      setCreating(false);
      keys.reload();
    }
  };

  return (
    <>
      <div class="page-head">
        <h1>API keys</h1>
        <div class="actions">
          <button type="button" class="button" onClick={keys.reload} disabled={keys.loading}>
            Refresh
          </button>
          <button
            type="button"
            class="button button-primary"
            aria-expanded={creating}
            aria-controls="create-key"
            onClick={() => setCreating(!creating)}
          >
            Create key
          </button>
        </div>
      </div>
      {created && (
        <SecretNotice secret={created.apiKey} description={created.description} onDone={() => setCreated(undefined)} />
      )}
      {creating && (
        <section id="create-key" class="card" aria-labelledby="create-title">
          <h2 id="create-title">Create a key</h2>
          <KeyForm
            mode="create"
            initial={valuesOf()}
            action={create}
            submitLabel="Create key"
            onSubmit={submit}
            onCancel={() => setCreating(false)}
          />
        </section>
      )}
      <div class="toolbar">
        <label for="key-search">Search</label>
        <input
          id="key-search"
          class="input"
          type="search"
          placeholder="description, last 6, type…"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </div>
      <ErrorNotice error={keys.error} />
      {keys.data && shown.length === 0 && <p class="muted">{query ? 'No key matches.' : 'No active keys.'}</p>}
      {shown.length > 0 && (
        <table class="table keys-table" aria-label="API keys">
          <thead>
            <tr>
              {COLUMNS.map(({ column, label }) => (
                <th
                  scope="col"
                  aria-sort={sort.column === column ? (sort.descending ? 'descending' : 'ascending') : undefined}
                >
                  <button type="button" class="sort" onClick={() => toggleSort(column)}>
                    {label}
                    <span aria-hidden="true">{sort.column === column ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                </th>
              ))}
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((key) => (
              <KeyRow
                key={key.id}
                apiKey={key}
                onChanged={keys.reload}
                onRotated={(fresh) => {
                  setCreated(fresh);
                  keys.reload();
                }}
              />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function KeyRow({
  apiKey,
  onChanged,
  onRotated,
}: {
  apiKey: ApiKey;
  onChanged(): void;
  onRotated(created: CreatedApiKey): void;
}) {
  const caps = periodUsage(apiKey);
  return (
    <tr data-key-id={apiKey.id}>
      <td data-label="Description">
        <a href={hrefOf({ page: 'key', id: apiKey.id })}>{apiKey.description}</a>
      </td>
      <td data-label="Type">
        <span class={`badge badge-${apiKey.apiKeyType.toLowerCase()}`}>{apiKey.apiKeyType}</span>
      </td>
      <td data-label="Key">
        <span class="mono nowrap">…{apiKey.last6Chars}</span>
      </td>
      <td data-label="Created" class="nowrap">
        {formatDate(apiKey.createdAt)}
      </td>
      <td data-label="Expires" class="nowrap">
        {apiKey.expiresAt ? formatDate(apiKey.expiresAt) : 'never'}
      </td>
      <td data-label="Last used">{apiKey.lastUsedAt ? formatDateTime(apiKey.lastUsedAt) : 'never'}</td>
      <td data-label="Usage">
        <div>
          {caps.length === 0 && <span class="muted small">no limit</span>}
          {caps.map((cap) => (
            <SpendBar used={cap.used} limit={cap.limit} currency={cap.currency} />
          ))}
          {caps.length > 0 && <span class="muted small">{PERIOD_LABEL[apiKey.limitPeriod]}</span>}
        </div>
      </td>
      <td data-label="Actions">
        <KeyActions apiKey={apiKey} onRevoked={onChanged} onRotated={onRotated} />
      </td>
    </tr>
  );
}
