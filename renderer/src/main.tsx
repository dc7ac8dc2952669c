import { StrictMode, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { errorMessage } from './api/errors.ts';
import { createIpcTransport } from './api/ipc.ts';
import type { HomegateTransport } from './api/transport.ts';
import { createWebTransport, type SocketFactory, type WebTransport } from './api/web.ts';
import { connectBridge } from './bridge.ts';
import { Logo } from './components/Icon.tsx';
import { LoginScreen } from './LoginScreen.tsx';
import { StoreProvider } from './store/context.tsx';
import { viewFromHash } from './store/slices/ui.ts';
import { createHomegateStore, type HomegateStore } from './store/store.ts';

/** The browser's WebSocket behind the transport's small socket interface. */
const browserSocket: SocketFactory = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.onopen = () => handlers.open();
  socket.onmessage = (event: MessageEvent) => handlers.message(event.data);
  socket.onclose = (event: CloseEvent) => handlers.close(event.code);
  return { close: () => socket.close(1000) };
};

/** A store wired to a transport for as long as the component lives (the bridge is torn down with it). */
function Connected(props: { transport: HomegateTransport }) {
  // Open on the view the URL names, so a reload or a sign-in after the session expired lands where the user was.
  const [store] = useState<HomegateStore>(() =>
    createHomegateStore(props.transport.api, { view: viewFromHash(window.location.hash) }),
  );
  useEffect(() => connectBridge(props.transport, store), [props.transport, store]);
  return (
    <StoreProvider store={store} transport={props.transport}>
      <App />
    </StoreProvider>
  );
}

function Splash(props: { error?: string; onRetry?: () => void }) {
  return (
    <div className="login">
      <main className="login-card">
        <Logo className="logo logo-lg" />
        {props.error ? (
          <>
            <h1 className="login-title">The gateway did not answer</h1>
            <p className="login-text" role="alert">
              {props.error}
            </p>
            <button type="button" className="btn btn-primary" onClick={props.onRetry}>
              Try again
            </button>
          </>
        ) : (
          <p className="login-text" role="status">
            Connecting to Homegate…
          </p>
        )}
      </main>
    </div>
  );
}

type WebPhase =
  | { readonly phase: 'checking' }
  | { readonly phase: 'signed-out'; readonly notice?: string }
  | { readonly phase: 'signed-in'; readonly generation: number }
  | { readonly phase: 'error'; readonly error: string };

/** The web admin page: a session check, then the login screen or the app (a fresh store per sign-in). */
function WebRoot(props: { transport: WebTransport }) {
  const { transport } = props;
  const [state, setState] = useState<WebPhase>({ phase: 'checking' });
  // Each sign-in gets a fresh store: nothing from the previous session lingers.
  const generation = useRef(0);

  const signedIn = useCallback((): WebPhase => {
    generation.current += 1;
    return { phase: 'signed-in', generation: generation.current };
  }, []);

  const check = useCallback((): void => {
    setState({ phase: 'checking' });
    transport.checkSession().then(
      (ok) =>
        setState((current) => (!ok ? { phase: 'signed-out' } : current.phase === 'signed-in' ? current : signedIn())),
      (error: unknown) => setState({ phase: 'error', error: errorMessage(error) }),
    );
  }, [transport, signedIn]);

  useEffect(() => {
    const off = transport.onAuth((ok) => {
      setState((current) => {
        if (ok) return current.phase === 'signed-in' ? current : signedIn();
        return current.phase === 'signed-in'
          ? { phase: 'signed-out', notice: 'You are signed out. Sign in again to continue.' }
          : { phase: 'signed-out' };
      });
    });
    check();
    return off;
  }, [transport, check, signedIn]);

  switch (state.phase) {
    case 'checking':
      return <Splash />;
    case 'error':
      return <Splash error={state.error} onRetry={check} />;
    case 'signed-out':
      return <LoginScreen transport={transport} notice={state.notice} />;
    case 'signed-in':
      return <Connected key={state.generation} transport={transport} />;
  }
}

const rootElement = document.getElementById('root');
if (rootElement) {
  const root = createRoot(rootElement);
  const bridge = window.homegate;
  root.render(
    <StrictMode>
      {bridge ? (
        <Connected transport={createIpcTransport(bridge)} />
      ) : (
        <WebRoot transport={createWebTransport({ baseUrl: window.location.origin, openSocket: browserSocket })} />
      )}
    </StrictMode>,
  );
}
