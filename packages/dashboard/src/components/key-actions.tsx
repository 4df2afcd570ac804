import type { ApiKey, CreatedApiKey } from '@venice-keys/sdk';
import { useState } from 'preact/hooks';
import { keyName, sameSettings } from '../keys.js';
import { useAction } from '../load.js';
import { useSession } from '../session.js';
import { ConfirmDialog } from './confirm.js';
import { ErrorNotice } from './error-notice.js';

interface Props {
  apiKey: ApiKey;
  onRevoked(): void;
  /** The new key of a rotation, once the old key is revoked (or the person gave up revoking it). */
  onRotated(created: CreatedApiKey): void;
}

/** Rotate and revoke, each behind a confirmation that names the key. */
export function KeyActions({ apiKey, onRevoked, onRotated }: Props) {
  const session = useSession();
  const action = useAction();
  const [asking, setAsking] = useState<'revoke' | 'rotate' | undefined>(undefined);
  // A rotation whose new key exists but whose old key is not revoked yet: retrying only revokes.
  const [rotated, setRotated] = useState<CreatedApiKey | undefined>(undefined);
  /** Closing always hands over a new key, so that its secret reaches the screen whatever happened after. */
  const close = (fresh = rotated) => {
    setAsking(undefined);
    setRotated(undefined);
    action.clear();
    if (fresh) onRotated(fresh);
  };
  const isSessionKey = apiKey.apiKeyType === 'ADMIN' && apiKey.last6Chars === session.last6;

  const revoke = async () => {
    const done = await action.run((c) => c.apiKeys.delete(apiKey.id));
    if (done) {
      close();
      if (isSessionKey) session.signOut('You revoked the key you were signed in with.');
      else onRevoked();
    }
  };
  // The new key is made before the old one goes, so a failed revoke never leaves the person without a key.
  const rotate = async () => {
    let fresh = rotated;
    if (!fresh) {
      fresh = await action.run((c) => c.apiKeys.create(sameSettings(apiKey)));
      if (!fresh) return;
      if (isSessionKey) session.switchKey(fresh.apiKey);
      setRotated(fresh);
    }
    if (await action.run((c) => c.apiKeys.delete(apiKey.id))) close(fresh);
  };

  return (
    <div class="row-actions">
      <button type="button" class="button button-small" onClick={() => setAsking('rotate')}>
        Rotate<span class="sr-only"> {keyName(apiKey)}</span>
      </button>
      <button type="button" class="button button-small button-danger" onClick={() => setAsking('revoke')}>
        Revoke<span class="sr-only"> {keyName(apiKey)}</span>
      </button>
      {asking && (
        <ConfirmDialog
          title={asking === 'revoke' ? 'Revoke this key?' : 'Rotate this key?'}
          confirmLabel={asking === 'revoke' ? 'Revoke' : 'Rotate'}
          busy={action.busy}
          onConfirm={asking === 'revoke' ? revoke : rotate}
          onCancel={() => close()}
        >
          <p>
            {asking === 'revoke'
              ? `Revoke ${keyName(apiKey)}? Every request made with it fails from now on. This cannot be undone.`
              : `Rotate ${keyName(apiKey)}? A new key with the same settings is created and shown once, then this key is revoked.`}
          </p>
          {rotated && action.error !== undefined && (
            <p>The new key was created (it is shown when you close this); revoking the old one failed:</p>
          )}
          <ErrorNotice error={action.error} />
        </ConfirmDialog>
      )}
    </div>
  );
}
