import { useEffect, useRef } from 'react';
import { Notices } from './components/Notices.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { useHomegate } from './store/context.tsx';
import { isViewId, type ViewId } from './store/slices/ui.ts';
import { AccessView } from './views/AccessView.tsx';
import { AuditView } from './views/AuditView.tsx';
import { CertificatesView } from './views/CertificatesView.tsx';
import { ExportView } from './views/ExportView.tsx';
import { HostsView } from './views/HostsView.tsx';
import { SessionsView } from './views/SessionsView.tsx';
import { SettingsView } from './views/SettingsView.tsx';

const VIEW_COMPONENTS: Readonly<Record<ViewId, () => React.JSX.Element>> = {
  sessions: SessionsView,
  hosts: HostsView,
  access: AccessView,
  export: ExportView,
  certificates: CertificatesView,
  settings: SettingsView,
  audit: AuditView,
};

const VIEW_TITLES: Readonly<Record<ViewId, string>> = {
  sessions: 'Sessions',
  hosts: 'Hosts',
  access: 'Access',
  export: 'Export',
  certificates: 'Certificates',
  settings: 'Settings',
  audit: 'Audit log',
};

/** Keeps the view and `location.hash` in step, so links, Back and reloads all work. */
function useHashRoute(): void {
  const view = useHomegate((state) => state.view);
  const navigate = useHomegate((state) => state.navigate);
  useEffect(() => {
    const follow = (): void => {
      const wanted = window.location.hash.slice(1);
      if (isViewId(wanted)) navigate(wanted);
    };
    follow();
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, [navigate]);
  useEffect(() => {
    if (window.location.hash.slice(1) !== view) window.location.hash = view;
    document.title = `${VIEW_TITLES[view]} · Homegate`;
  }, [view]);
}

export function App() {
  const view = useHomegate((state) => state.view);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  useHashRoute();
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
          <View key={view} />
        </div>
      </main>
      <StatusBar />
      <Notices />
    </div>
  );
}
