import { useRef, type KeyboardEvent } from 'react';
import { useHomegate } from '../store/context.tsx';
import type { ViewId } from '../store/slices/ui.ts';
import { Icon, type IconName } from './Icon.tsx';

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

/** Where a key moves focus among `count` links from `index`: arrows wrap around, Home/End jump; else nowhere. */
function nextIndex(key: string, index: number, count: number): number | undefined {
  if (key === 'ArrowDown') return (index + 1) % count;
  if (key === 'ArrowUp') return (index - 1 + count) % count;
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return undefined;
}

/** The section list: links to `#view` (so Back works), arrow keys move between them, Home/End jump. */
export function SidebarNav(props: { view: ViewId; onNavigate: () => void }) {
  const listRef = useRef<HTMLUListElement>(null);
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    const links = [...(listRef.current?.querySelectorAll<HTMLAnchorElement>('a.nav-link') ?? [])];
    const index = links.findIndex((link) => link === document.activeElement);
    if (index < 0) return;
    const next = nextIndex(event.key, index, links.length);
    if (next === undefined) return;
    event.preventDefault();
    links[next]?.focus();
  };
  return (
    <nav aria-label="Sections">
      <ul className="nav" ref={listRef} onKeyDown={onKeyDown}>
        {NAV_ITEMS.map((item) => (
          <li key={item.id}>
            <a
              className="nav-link"
              href={`#${item.id}`}
              aria-current={props.view === item.id ? 'page' : undefined}
              onClick={props.onNavigate}
            >
              <Icon name={item.icon} />
              <span className="nav-label">{item.label}</span>
              {item.id === 'sessions' ? <SessionCount /> : null}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
