import { Component, useEffect, useRef, useState, type ErrorInfo, type ReactNode } from 'react';
import { Dialog } from './components/Dialog.tsx';
import { drafts } from './drafts.ts';
import { Icon } from './components/Icon.tsx';
import { Notices } from './components/Notices.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { useHomegate, useHomegateStore } from './store/context.tsx';
import { viewFromHash, type ViewId } from './store/slices/ui.ts';
import { AccessView } from './views/AccessView.tsx';
import { AttemptsView } from './views/AttemptsView.tsx';
import { AuditView } from './views/AuditView.tsx';
import { CertificatesView } from './views/CertificatesView.tsx';
import { ExportView } from './views/ExportView.tsx';
import { HostsView } from './views/HostsView.tsx';
import { SessionsView } from './views/SessionsView.tsx';
import { SettingsView } from './views/SettingsView.tsx';
import { SetupView } from './views/SetupView.tsx';

const VIEW_COMPONENTS: Readonly<Record<ViewId, () => React.JSX.Element>> = {
  sessions: SessionsView,
  setup: SetupView,
  hosts: HostsView,
  access: AccessView,
  export: ExportView,
  certificates: CertificatesView,
  settings: SettingsView,
  audit: AuditView,
  attempts: AttemptsView,
};

const VIEW_TITLES: Readonly<Record<ViewId, string>> = {
  sessions: 'Sessions',
  setup: 'Get started',
  hosts: 'Hosts',
  access: 'Access',
  export: 'Export',
  certificates: 'Certificates',
  settings: 'Settings',
  audit: 'Audit log',
  attempts: 'Recent attempts',
};

/**
 * Catches a render error in a view, so the window shows what happened and a way on instead of going blank. The
 * sidebar and status bar stay usable; another view, or Try again, renders afresh.
 */
export class ViewErrorBoundary extends Component<
  { children: ReactNode; onRetry: () => Promise<unknown> },
  { error: Error | undefined; retrying: boolean }
> {
  override state: { error: Error | undefined; retrying: boolean } = { error: undefined, retrying: false };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('a view failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="state state-error" role="alert">
        <p className="state-title">This page could not be shown</p>
        <p className="state-text">
          Something in it went wrong ({error.message}). Nothing was changed on the gateway. Try again, or choose another
          section.
        </p>
        <div className="state-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={this.state.retrying}
            onClick={() => {
              // Fetch afresh first: the data that broke the view may be what the store still holds.
              this.setState({ retrying: true });
              void this.props.onRetry().finally(() => this.setState({ error: undefined, retrying: false }));
            }}
          >
            {this.state.retrying ? 'Trying again…' : 'Try again'}
          </button>
          <button type="button" className="btn" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </div>
      </div>
    );
  }
}

/**
 * Keeps the view and `location.hash` in step, so links, Back and reloads all work. Leaving a view with unsaved
 * edits is held back: the hash goes back and `pending` names where the user wanted to go, until they choose.
 */
function useHashRoute(): { pending: ViewId | undefined; leave: () => void; stay: () => void } {
  const view = useHomegate((state) => state.view);
  const unsaved = useHomegate((state) => state.unsaved);
  const navigate = useHomegate((state) => state.navigate);
  const setUnsaved = useHomegate((state) => state.setUnsaved);
  const [pending, setPending] = useState<ViewId | undefined>(undefined);
  const current = useRef({ view, unsaved });
  current.current = { view, unsaved };
  useEffect(() => {
    const follow = (): void => {
      const wanted = viewFromHash(window.location.hash);
      if (!wanted) return;
      const { view: shown, unsaved: holding } = current.current;
      if (holding !== undefined && wanted !== shown) {
        window.history.replaceState(null, '', `#${shown}`);
        setPending(wanted);
        return;
      }
      navigate(wanted);
    };
    follow();
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, [navigate]);
  useEffect(() => {
    if (window.location.hash.slice(1) !== view) window.location.hash = view;
    document.title = `${VIEW_TITLES[view]} · Homegate`;
  }, [view]);
  useEffect(() => {
    if (unsaved === undefined) return undefined;
    // Closing the tab or reloading with unsaved edits: the browser asks.
    const hold = (event: BeforeUnloadEvent): void => event.preventDefault();
    window.addEventListener('beforeunload', hold);
    return () => window.removeEventListener('beforeunload', hold);
  }, [unsaved]);
  return {
    pending,
    leave: () => {
      if (pending === undefined) return;
      drafts.delete(current.current.view);
      setUnsaved(undefined);
      setPending(undefined);
      navigate(pending);
    },
    stay: () => setPending(undefined),
  };
}

/** While the gateway does not answer, what the views show may be out of date: say so above them. */
function StaleNotice() {
  const link = useHomegate((state) => state.link);
  const statusFailed = useHomegate((state) => state.statusLoad.phase === 'error');
  if (link !== 'reconnecting' && link !== 'closed' && !statusFailed) return null;
  return (
    <div className="callout callout-warning stale-notice" role="status">
      <Icon name="alert" />
      <p>
        <strong>Not up to date.</strong> The gateway is not answering, so what is shown here may be stale. It refreshes
        on its own when the gateway is back.
      </p>
    </div>
  );
}

/** Asks before unsaved edits are dropped by leaving their view. */
function LeaveDialog(props: { what: string; onLeave: () => void; onStay: () => void }) {
  return (
    <Dialog
      title="Leave without saving?"
      onClose={props.onStay}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onStay}>
            Stay and keep editing
          </button>
          <button type="button" className="btn btn-danger" onClick={props.onLeave}>
            Discard changes
          </button>
        </>
      }
    >
      <p>{props.what} has changes that are not saved yet. If you leave now, they are lost.</p>
    </Dialog>
  );
}

export function App() {
  const view = useHomegate((state) => state.view);
  const unsaved = useHomegate((state) => state.unsaved);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const route = useHashRoute();
  const store = useHomegateStore();
  const reloadAll = (): Promise<unknown> => {
    const state = store.getState();
    return Promise.allSettled([
      state.loadStatus(),
      state.loadSessions(),
      state.loadHosts(),
      state.loadTokens(),
      state.loadSettings(),
      state.loadCertificate(),
      state.loadAudit(),
      state.loadOnboarding(),
    ]);
  };
  useEffect(() => {
    // Move focus to the new view for keyboard and screen-reader users, but not on the first paint.
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (!mainRef.current?.contains(document.activeElement)) return;
    mainRef.current.focus({ preventScroll: true });
  }, [view]);
  const View = VIEW_COMPONENTS[view];
  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to content
      </a>
      <Sidebar />
      <main id="main" className="main" ref={mainRef} tabIndex={-1}>
        <div className="main-inner">
          <StaleNotice />
          <ViewErrorBoundary key={view} onRetry={reloadAll}>
            <View />
          </ViewErrorBoundary>
        </div>
      </main>
      <StatusBar />
      <Notices />
      {route.pending !== undefined && unsaved !== undefined ? (
        <LeaveDialog what={unsaved} onLeave={route.leave} onStay={route.stay} />
      ) : null}
    </div>
  );
}
