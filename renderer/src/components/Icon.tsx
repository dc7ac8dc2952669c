/** A small stroke icon set drawn on a 24 × 24 grid; the colour follows the text (currentColor). */
const PATHS = {
  sessions: 'M3 5h18v11H3zM8 20h8M12 16v4M7 12l3-3 2 2 4-4',
  hosts: 'M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01',
  access: 'M15 7a4 4 0 1 1-3.9 4.9L4 19v-3h2v-2h2l1.1-1.1A4 4 0 0 1 15 7zM16 10h.01',
  export: 'M12 3v12M7 10l5 5 5-5M5 21h14',
  certificates: 'M12 3l7 3v6c0 4.4-3 7.6-7 9-4-1.4-7-4.6-7-9V6zM9 12l2 2 4-4',
  settings: 'M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0M14 4v4M8 10v4M16 16v4',
  audit: 'M6 3h9l4 4v14H6zM14 3v5h5M9 12h7M9 16h7',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  pause: 'M8 5v14M16 5v14',
  play: 'M7 4l13 8-13 8z',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  check: 'M5 12l5 5 9-10',
  alert: 'M12 3l10 18H2zM12 10v5M12 18h.01',
  info: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 11v6M12 7h.01',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7',
  plus: 'M12 5v14M5 12h14',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13 7l4 4',
  plug: 'M9 3v5M15 3v5M6 8h12v3a6 6 0 0 1-12 0zM12 17v4',
  close: 'M6 6l12 12M18 6L6 18',
  disconnect: 'M7 7l10 10M17 7L7 17M12 2v3M12 19v3',
  arrowUp: 'M12 19V5M6 11l6-6 6 6',
  arrowDown: 'M12 5v14M6 13l6 6 6-6',
  file: 'M6 3h9l4 4v14H6zM14 3v5h5',
  upload: 'M12 15V3M7 8l5-5 5 5M5 21h14',
  power: 'M12 3v9M7 6a8 8 0 1 0 10 0',
  menu: 'M4 6h16M4 12h16M4 18h16',
  search: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon(props: { name: IconName; className?: string }) {
  return (
    <svg
      className={props.className ? `icon ${props.className}` : 'icon'}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[props.name]} />
    </svg>
  );
}

/** The Homegate mark: a house whose door is an open tunnel. */
export function Logo(props: { className?: string }) {
  return (
    <svg className={props.className ?? 'logo'} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect className="logo-tile" x="1" y="1" width="30" height="30" rx="8" />
      <path className="logo-house" d="M8 15.5 16 9l8 6.5V24H8z" />
      <path className="logo-door" d="M13.5 24v-4.5a2.5 2.5 0 0 1 5 0V24" />
    </svg>
  );
}
