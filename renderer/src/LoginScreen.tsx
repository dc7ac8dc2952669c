import { useState } from 'react';
import { errorMessage } from './api/errors.ts';
import type { WebTransport } from './api/web.ts';
import { Field } from './components/Field.tsx';
import { Logo } from './components/Icon.tsx';

/** The web admin page's door: one password, set on the gateway machine. */
export function LoginScreen(props: { transport: WebTransport; notice?: string | undefined }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (): Promise<void> => {
    if (password === '') {
      setError('Enter the admin password.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await props.transport.login(password);
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <main className="login-card">
        <Logo className="logo logo-lg" />
        <h1 className="login-title">Sign in to Homegate</h1>
        <p className="login-text">Manage the Remote Desktop Gateway on this machine.</p>
        {props.notice && !error ? (
          <p className="callout callout-info login-notice" role="status">
            {props.notice}
          </p>
        ) : null}
        <form
          className="stack"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <Field label="Admin password" error={error}>
            {(control) => (
              <input
                {...control}
                type="password"
                className="input"
                autoComplete="current-password"
                autoFocus
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="btn btn-primary btn-block btn-lg" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="login-foot">
          Forgot it? On the gateway machine, run <code>homegate admin set-password</code>.
        </p>
      </main>
    </div>
  );
}
