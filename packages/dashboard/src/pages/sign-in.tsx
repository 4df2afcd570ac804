import { useEffect, useState } from 'preact/hooks';
import { ErrorNotice } from '../components/error-notice.js';
import { clientFor } from '../session.js';

/** Checks the key with one ADMIN call before keeping it, so a typo or an INFERENCE key is refused here. */
export function SignIn({ reason, onSignedIn }: { reason: string | undefined; onSignedIn(secret: string): void }) {
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    document.title = 'Sign in · venice-keys';
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const key = secret.trim();
    setBusy(true);
    setError(undefined);
    try {
      await clientFor(key).apiKeys.list({ limit: 1 });
      onSignedIn(key);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in</h1>
        <p class="muted">
          Use an ADMIN key of your account. It is kept in this browser tab only and forgotten when you sign out or close
          the tab.
        </p>
        {reason && (
          <div class="notice" role="status">
            {reason}
          </div>
        )}
        <div class="field">
          <label for="admin-key">ADMIN key</label>
          <input
            id="admin-key"
            class="input mono"
            type="password"
            autocomplete="off"
            spellcheck={false}
            required
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
        </div>
        <ErrorNotice error={error} />
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
