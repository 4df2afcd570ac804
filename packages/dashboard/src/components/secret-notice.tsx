import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * The one time a secret is on screen. It lives only in the parent's state: a reload, or
 * "I have stored it", and it is gone for good.
 */
export function SecretNotice({ secret, description, onDone }: { secret: string; description: string; onDone(): void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);
  // Focus goes to the secret, so that keyboard and screen-reader users land on what they must copy.
  useEffect(() => input.current?.focus(), []);
  const done = () => {
    document.getElementById('main')?.focus();
    onDone();
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <section class="card secret" aria-labelledby="secret-title">
      <h2 id="secret-title">New key “{description}”</h2>
      <p class="warning">
        <strong>Copy this key now.</strong> It is shown only once and cannot be shown again.
      </p>
      <div class="secret-row">
        <label class="sr-only" for="new-secret">
          Secret of the new key
        </label>
        <input
          id="new-secret"
          ref={input}
          class="input mono"
          readonly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
          data-testid="new-secret"
        />
        <button type="button" class="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p class="small" aria-live="polite">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Copying failed: select the key and copy it.'
            : ''}
      </p>
      <button type="button" class="button button-primary" onClick={done}>
        I have stored it
      </button>
    </section>
  );
}
