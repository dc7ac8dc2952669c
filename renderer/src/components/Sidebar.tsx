import { useEffect, useId, useRef, useState } from 'react';
import { useHomegate } from '../store/context.tsx';
import { Icon, Logo } from './Icon.tsx';
import { SidebarFooter } from './SidebarFooter.tsx';
import { NAV_ITEMS, SidebarNav } from './SidebarNav.tsx';

/** On a phone the sections fold into a menu under the top bar; Escape closes it and gives focus back to its toggle. */
function useMenu() {
  const [menuOpen, setMenuOpen] = useState(false);
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
  return { menuOpen, setMenuOpen, toggleRef };
}

/** The brand, the phone's top bar with its Menu toggle, and the sections with sign out (wider windows show them). */
export function Sidebar() {
  const view = useHomegate((state) => state.view);
  const { menuOpen, setMenuOpen, toggleRef } = useMenu();
  const menuId = useId();

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
        <SidebarNav view={view} onNavigate={() => setMenuOpen(false)} />
        <SidebarFooter />
      </div>
    </aside>
  );
}
