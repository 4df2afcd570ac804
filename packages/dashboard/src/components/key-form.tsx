import type {
  ApiKey,
  ApiKeyCreateParams,
  ApiKeyType,
  ApiKeyUpdateParams,
  LimitPeriod,
  ModelPrivacy,
} from '@venice-keys/sdk';
import { useState } from 'preact/hooks';
import type { Action } from '../load.js';
import { ErrorNotice } from './error-notice.js';

/** What the form edits, as the inputs hold it: text, with "" meaning "none". */
export interface KeyFormValues {
  apiKeyType: ApiKeyType;
  description: string;
  expiresOn: string;
  usd: string;
  diem: string;
  limitPeriod: LimitPeriod;
  modelPrivacy: ModelPrivacy;
}

const TYPE_NAMES: Record<ApiKeyType, string> = { INFERENCE: 'INFERENCE (calls models)', ADMIN: 'ADMIN (manages keys)' };
const PERIOD_NAMES: Record<LimitPeriod, string> = { EPOCH: 'Daily (UTC day)', MONTH: 'Monthly', LIFETIME: 'Lifetime' };
const PRIVACY_NAMES: Record<ModelPrivacy, string> = {
  ALL: 'All models',
  PRIVATE_TEXT: 'Private text models only',
  PRIVATE_ONLY: 'Private models only',
};

export function valuesOf(key?: ApiKey): KeyFormValues {
  const limit = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
  return {
    apiKeyType: key?.apiKeyType ?? 'INFERENCE',
    description: key?.description ?? '',
    expiresOn: key?.expiresAt ? key.expiresAt.slice(0, 10) : '',
    usd: limit(key?.consumptionLimits.usd),
    diem: limit(key?.consumptionLimits.diem),
    limitPeriod: key?.limitPeriod ?? 'EPOCH',
    modelPrivacy: key?.modelPrivacy ?? 'ALL',
  };
}

const limitOf = (text: string): number | null => (text.trim() === '' ? null : Number(text));

export function createParams(v: KeyFormValues): ApiKeyCreateParams {
  return {
    apiKeyType: v.apiKeyType,
    description: v.description,
    expiresAt: v.expiresOn,
    consumptionLimit: { usd: limitOf(v.usd), diem: limitOf(v.diem) },
    limitPeriod: v.limitPeriod,
    modelPrivacy: v.modelPrivacy,
  };
}

/** Only what the person changed is sent, so an expiry with a time of day survives an unrelated edit. */
export function updateParams(id: string, before: KeyFormValues, v: KeyFormValues): ApiKeyUpdateParams {
  const params: ApiKeyUpdateParams = { id };
  if (v.description !== before.description) params.description = v.description;
  if (v.expiresOn !== before.expiresOn) params.expiresAt = v.expiresOn === '' ? null : v.expiresOn;
  const limit: NonNullable<ApiKeyUpdateParams['consumptionLimit']> = {};
  if (v.usd !== before.usd) limit.usd = limitOf(v.usd);
  if (v.diem !== before.diem) limit.diem = limitOf(v.diem);
  if (Object.keys(limit).length > 0) params.consumptionLimit = limit;
  if (v.limitPeriod !== before.limitPeriod) params.limitPeriod = v.limitPeriod;
  if (v.modelPrivacy !== before.modelPrivacy) params.modelPrivacy = v.modelPrivacy;
  return params;
}

interface Props {
  mode: 'create' | 'edit';
  initial: KeyFormValues;
  action: Action;
  submitLabel: string;
  onSubmit(values: KeyFormValues): void;
  onCancel?(): void;
}

export function KeyForm({ mode, initial, action, submitLabel, onSubmit, onCancel }: Props) {
  const [v, setV] = useState(initial);
  const id = (field: string) => `${mode}-${field}`;
  const set =
    <K extends keyof KeyFormValues>(field: K) =>
    (e: Event) =>
      setV({ ...v, [field]: (e.currentTarget as HTMLInputElement).value as KeyFormValues[K] });
  return (
    <form
      class="form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(v);
      }}
    >
      {mode === 'create' && (
        <SelectField
          id={id('type')}
          label="Type"
          value={v.apiKeyType}
          names={TYPE_NAMES}
          onChange={set('apiKeyType')}
        />
      )}
      <div class="field">
        <label for={id('description')}>Description</label>
        <input
          id={id('description')}
          class="input"
          required
          maxLength={64}
          value={v.description}
          onInput={set('description')}
        />
      </div>
      <div class="field">
        <label for={id('expires')}>Expires on (00:00 UTC; empty: never)</label>
        <input id={id('expires')} class="input" type="date" value={v.expiresOn} onInput={set('expiresOn')} />
      </div>
      {(['usd', 'diem'] as const).map((currency) => (
        <div class="field">
          <label for={id(currency)}>{currency.toUpperCase()} limit per period (empty: no cap)</label>
          <input
            id={id(currency)}
            class="input"
            type="number"
            min="0"
            step="any"
            value={v[currency]}
            onInput={set(currency)}
          />
        </div>
      ))}
      <SelectField
        id={id('period')}
        label="Limit period"
        value={v.limitPeriod}
        names={PERIOD_NAMES}
        onChange={set('limitPeriod')}
      />
      <SelectField
        id={id('privacy')}
        label="Model privacy"
        value={v.modelPrivacy}
        names={PRIVACY_NAMES}
        onChange={set('modelPrivacy')}
      />
      <ErrorNotice error={action.error} />
      <div class="actions field-wide">
        <button type="submit" class="button button-primary" disabled={action.busy}>
          {action.busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" class="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** A labelled select over an enum, its options in the order of `names`. */
function SelectField<T extends string>(props: {
  id: string;
  label: string;
  value: T;
  names: Record<T, string>;
  onChange(e: Event): void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} class="input" value={props.value} onChange={props.onChange}>
        {(Object.entries(props.names) as [T, string][]).map(([value, name]) => (
          <option value={value}>{name}</option>
        ))}
      </select>
    </div>
  );
}
