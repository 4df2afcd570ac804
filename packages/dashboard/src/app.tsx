import { useEffect, useMemo, useState } from 'preact/hooks';
import { BillingPage } from './pages/billing.js';
import { KeyPage } from './pages/key.js';
import { KeysPage } from './pages/keys.js';
import { LimitsPage } from './pages/limits.js';
import { SignIn } from './pages/sign-in.js';
import { hrefOf, type Route, useRoute } from './route.js';
import { clientFor, rememberKey, type Session, SessionContext, storedKey } from './session.js';

const NAV: { route: Route; label: string }[] = [
  { route: { page: 'keys' }, label: 'Keys' },
  { route: { page: 'limits' }, label: 'Limits' },
  { route: { page: 'billing' }, label: 'Billing' },
];

export function App() {
  const [secret, setSecret] = useState<string | null>(storedKey);
  const [reason, setReason] = useState<string | undefined>(undefined);
  const route = useRoute();

  const session = useMemo<Session | null>(() => {
    if (!secret) return null;
    return {
      client: clientFor(secret),
      last6: secret.slice(-6),
      switchKey(next) {
        rememberKey(next);
        setSecret(next);
      },
      signOut(why) {
        rememberKey(null);
        setReason(why);
        setSecret(null);
      },
    };
  }, [secret]);

  if (!session) {
    return (
      <SignIn
        reason={reason}
        onSignedIn={(key) => {
          rememberKey(key);
          setReason(undefined);
          setSecret(key);
        }}
      />
    );
  }

  return (
    <SessionContext.Provider value={session}>
      <button type="button" class="skip" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="topbar">
        <span class="brand">venice-keys</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(({ route: target, label }) => (
              <li>
                <a
                  href={hrefOf(target)}
                  aria-current={
                    target.page === route.page || (target.page === 'keys' && route.page === 'key') ? 'page' : undefined
                  }
                >
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="button button-small" onClick={() => session.signOut('You signed out.')}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}

/** A button, not a #main link: the hash is the route. */
function skipToMain() {
  document.getElementById('main')?.focus();
}

const TITLES: Record<Route['page'], string> = {
  keys: 'API keys',
  key: 'Key',
  limits: 'Rate limits',
  billing: 'Billing',
  missing: 'Not found',
};

function Page({ route }: { route: Route }) {
  useEffect(() => {
    document.title = `${TITLES[route.page]} · venice-keys`;
  }, [route.page]);
  switch (route.page) {
    case 'keys':
      return <KeysPage />;
    case 'key':
      return <KeyPage key={route.id} id={route.id} />;
    case 'limits':
      return <LimitsPage />;
    case 'billing':
      return <BillingPage />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no such page. <a href={hrefOf({ page: 'keys' })}>Go to the keys</a>.
          </p>
        </>
      );
  }
}
