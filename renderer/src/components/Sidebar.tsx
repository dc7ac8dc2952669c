import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { errorMessage } from '../api/errors.ts';
import { drafts } from '../drafts.ts';
import { useHomegate, useTransport } from '../store/context.tsx';
import type { ViewId } from '../store/slices/ui.ts';
import { Icon, Logo, type IconName } from './Icon.tsx';

export const NAV_ITEMS: readonly { readonly id: ViewId; readonly label: string; readonly icon: IconName }[] = [
  { id: 'sessions', label: 'Sessions', icon: 'sessions' },
  { id: 'hosts', label: 'Hosts', icon: 'hosts' },
  { id: 'access', label: 'Access', icon: 'access' },
  { id: 'export', label: 'Export', icon: 'export' },
  { id: 'certificates', label: 'Certificates', icon: 'certificates' },
  { id: 'settings', label: 'Settings', icon: 'settings' },
  { id: 'audit', label: 'Audit log', icon: 'audit' },
  { id: 'attempts', label: 'Recent attempts', icon: 'audit' },
];

function SessionCount() {
  const count = useHomegate((state) => state.sessions.length);
  if (count === 0) return null;
  return (
    <span className="nav-count" aria-label={`${count} live`}>
      {count}
    </span>
  );
}

/** The section list: links to `#view` (so Back works), arrow keys move between them, Home/End jump. */
export function Sidebar() {
  const view = useHomegate((state) => state.view);
  const version = useHomegate((state) => state.status?.version);
  const notify = useHomegate((state) => state.notify);
  const transport = useTransport();
  const [signingOut, setSigningOut] = useState(false);
  // On a phone the sections fold into a menu under the top bar; wider windows always show them.
  const [menuOpen, setMenuOpen] = useState(false);
  const menuId = useId();
  const listRef = useRef<HTMLUListElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!menuOpen) return undefined;
    const onKey = (event: globalThis.KeyboardEvent): void => {
      if (event.key !== 'Escape') return;
      setMenuOpen(false);
      toggleRef.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    const links = [...(listRef.current?.querySelectorAll<HTMLAnchorElement>('a.nav-link') ?? [])];
    const index = links.findIndex((link) => link === document.activeElement);
    if (index < 0) return;
    const next =
      event.key === 'ArrowDown'
        ? (index + 1) % links.length
        : event.key === 'ArrowUp'
          ? (index - 1 + links.length) % links.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? links.length - 1
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    links[next]?.focus();
  };

  const signOut = async (): Promise<void> => {
    setSigningOut(true);
    // Signing out on purpose drops unsaved edits (they are kept only across an expired session).
    drafts.clear();
    try {
      await transport.logout?.();
    } catch (error) {
      notify('error', `Could not sign out: ${errorMessage(error)}`);
      setSigningOut(false);
    }
  };

  return (
    <aside className="sidebar" data-menu={menuOpen ? 'open' : 'closed'}>
      <div className="brand">
        <Logo />
        <div>
          <p className="brand-name">Homegate</p>
          <p className="brand-sub">Remote Desktop Gateway</p>
        </div>
      </div>
      <p className="topbar-title" aria-hidden="true">
        {NAV_ITEMS.find((item) => item.id === view)?.label}
      </p>
      <button
        ref={toggleRef}
        type="button"
        className="btn menu-toggle"
        aria-expanded={menuOpen}
        aria-controls={menuId}
        onClick={() => setMenuOpen((open) => !open)}
      >
        <Icon name={menuOpen ? 'close' : 'menu'} /> Menu
      </button>
      <div className="sidebar-menu" id={menuId}>
        <nav aria-label="Sections">
          <ul className="nav" ref={listRef} onKeyDown={onKeyDown}>
            {NAV_ITEMS.map((item) => (
              <li key={item.id}>
                <a
                  className="nav-link"
                  href={`#${item.id}`}
                  aria-current={view === item.id ? 'page' : undefined}
                  onClick={() => setMenuOpen(false)}
                >
                  <Icon name={item.icon} />
                  <span className="nav-label">{item.label}</span>
                  {item.id === 'sessions' ? <SessionCount /> : null}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-footer">
          {transport.logout ? (
            <button
              type="button"
              className="btn btn-ghost btn-block"
              onClick={() => void signOut()}
              disabled={signingOut}
            >
              <Icon name="logout" /> Sign out
            </button>
          ) : null}
          <p className="sidebar-version">{version ? `Version ${version}` : '\u00a0'}</p>
        </div>
      </div>
    </aside>
  );
}
