import logoUrl from '../logo.svg';
import { useId, useState } from 'react';

export interface SignInViewProps {
  /** Why the teacher is here (expired link, rejected token, …), or `null`. */
  message: string | null;
  /** Checks and keeps a pasted token; resolves to an error message or `null` on success. */
  onSubmitToken: (token: string) => Promise<string | null>;
}

/** Sign-in screen: where the sign-in link comes from, and a field to paste the admin token instead. */
export function SignInView({ message, onSubmitToken }: SignInViewProps) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const tokenId = useId();

  const submit = async () => {
    setBusy(true);
    setError(null);
    const result = await onSubmitToken(token);
    setBusy(false);
    if (result !== null) setError(result);
  };

  return (
    <main className="sign-in" data-testid="signin-screen">
      <div className="sign-in__card">
        <div className="sign-in__brand">
          <img src={logoUrl} alt="" width="40" height="40" />
          <h1>Xares Desktop</h1>
        </div>
        {message ? (
          <div className="form-alert" role="alert" data-testid="signin-message">
            {message}
          </div>
        ) : null}
        <h2 className="sign-in__heading">Sign in to the dashboard</h2>
        <p>
          When the server starts without the desktop app, it prints a <strong>one-time sign-in link</strong> in its console, like{' '}
          <code>http://localhost:8080/admin/#code=…</code>. Open that link in this browser to sign in. Each link works once; restarting the server prints a new one.
        </p>
        <form
          className="sign-in__form"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label className="field__label" htmlFor={tokenId}>
            Or paste the admin token
          </label>
          <p className="field__hint">
            The token is in the file <code>admin-token</code> in the server's data folder, or the value of <code>XARES_ADMIN_TOKEN</code>.
          </p>
          <div className="sign-in__row">
            <input
              id={tokenId}
              className="input mono"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={token}
              onChange={(event) => setToken(event.target.value)}
              aria-invalid={error ? true : undefined}
              data-testid="signin-token"
            />
            <button type="submit" className="button button--primary" disabled={busy} data-testid="signin-submit">
              {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
              Sign in
            </button>
          </div>
          {error ? (
            <p className="field__error" role="alert" data-testid="signin-error">
              {error}
            </p>
          ) : null}
        </form>
      </div>
    </main>
  );
}
