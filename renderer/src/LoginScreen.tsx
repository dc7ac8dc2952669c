import { useCallback, useEffect, useState } from 'react';
import { ApiError, errorMessage } from './api/errors.ts';
import type { WebTransport } from './api/web.ts';
import { TextField } from './components/Field.tsx';
import { Form } from './components/Form.tsx';
import { Logo } from './components/Icon.tsx';
import { useFocusInvalid } from './hooks/useFocusInvalid.ts';

/** `14 min 05 s`, `42 s`: how long until the next try, as a person reads it. */
export function formatWait(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/** Counts down to `until` (a time in ms); the message and the button follow it. */
function Lockout(props: { until: number; onOver: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  const { until, onOver } = props;
  useEffect(() => {
    const timer = setInterval(() => {
      const current = Date.now();
      setNow(current);
      if (current >= until) onOver();
    }, 1000);
    return () => clearInterval(timer);
  }, [until, onOver]);
  return (
    <p className="callout callout-warning login-notice" role="status">
      Too many wrong passwords. You can try again in <strong>{formatWait((until - now) / 1000)}</strong>.
    </p>
  );
}

/** The web admin page's door: one password, set on the gateway machine. */
export function LoginScreen(props: { transport: WebTransport; notice?: string | undefined }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [lockedUntil, setLockedUntil] = useState<number | undefined>(undefined);
  const unlock = useCallback(() => setLockedUntil(undefined), []);
  const { ref, attempted } = useFocusInvalid<HTMLFormElement>();

  const submit = async (): Promise<void> => {
    if (password === '') {
      setError('Enter the admin password.');
      attempted();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await props.transport.login(password);
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'rate-limited' && caught.retryAfterSeconds !== undefined) {
        setLockedUntil(Date.now() + caught.retryAfterSeconds * 1000);
      } else {
        setError(errorMessage(caught));
        attempted();
      }
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <main className="login-card">
        <Logo className="logo logo-lg" />
        <h1 className="login-title">Sign in to Homegate</h1>
        <p className="login-text">Manage the Remote Desktop Gateway on this machine.</p>
        {lockedUntil !== undefined ? <Lockout until={lockedUntil} onOver={unlock} /> : null}
        {props.notice && !error && lockedUntil === undefined ? (
          <p className="callout callout-info login-notice" role="status">
            {props.notice}
          </p>
        ) : null}
        <Form ref={ref} className="stack" onSubmit={submit}>
          <TextField
            label="Admin password"
            error={error}
            value={password}
            onChange={setPassword}
            input={{ type: 'password', autoComplete: 'current-password', autoFocus: true }}
          />
          <button
            type="submit"
            className="btn btn-primary btn-block btn-lg"
            disabled={busy || lockedUntil !== undefined}
          >
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </Form>
        <p className="login-foot">
          Forgot it? On the gateway machine, run <code>homegate admin set-password</code>.
        </p>
      </main>
    </div>
  );
}
