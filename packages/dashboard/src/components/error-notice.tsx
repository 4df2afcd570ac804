import { errorDetail, errorText } from '../errors.js';

/** An error as the server worded it, with the status and request id for a support request. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const detail = errorDetail(error);
  return (
    <div class="notice notice-error" role="alert">
      <span>{errorText(error)}</span>
      {detail && <span class="muted small"> ({detail})</span>}
    </div>
  );
}
