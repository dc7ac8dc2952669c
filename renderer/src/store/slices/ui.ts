import type { SliceCreator } from '../slice.ts';

export const VIEWS = [
  'sessions',
  'setup',
  'hosts',
  'access',
  'export',
  'certificates',
  'settings',
  'audit',
  'attempts',
] as const;
export type ViewId = (typeof VIEWS)[number];

export function isViewId(value: string): value is ViewId {
  return (VIEWS as readonly string[]).includes(value);
}

/** The view a URL's hash names (`#settings`), if any: where a reload or a new sign-in should land. */
export function viewFromHash(hash: string): ViewId | undefined {
  const wanted = hash.replace(/^#/, '');
  return isViewId(wanted) ? wanted : undefined;
}

export interface Notice {
  readonly id: number;
  readonly tone: 'success' | 'error' | 'info';
  readonly text: string;
}

/** How many notices stay on screen at once; older ones give way. */
const MAX_NOTICES = 4;

export interface UiSlice {
  readonly view: ViewId;
  /** A host chosen elsewhere (a host row's "Export" or "Issue token"), to preselect in the next view. */
  readonly focusHost: string | undefined;
  readonly notices: readonly Notice[];
  /** What has unsaved edits (a view's name), so leaving it asks first; undefined when nothing does. */
  readonly unsaved: string | undefined;
  readonly setUnsaved: (what: string | undefined) => void;
  readonly navigate: (view: ViewId, focusHost?: string) => void;
  /** Set by "Go to Hosts" where a host is missing: the Hosts view opens its Add-host dialog at once. */
  readonly addHostRequested: boolean;
  readonly openAddHost: () => void;
  readonly takeAddHostRequest: () => boolean;
  readonly notify: (tone: Notice['tone'], text: string) => void;
  readonly dismissNotice: (id: number) => void;
}

export const createUiSlice: SliceCreator<UiSlice> = (set, get) => {
  let nextNoticeId = 1;
  return {
    view: 'sessions',
    focusHost: undefined,
    notices: [],
    unsaved: undefined,
    addHostRequested: false,
    openAddHost() {
      set({ view: 'hosts', focusHost: undefined, addHostRequested: true });
    },
    takeAddHostRequest() {
      if (!get().addHostRequested) return false;
      set({ addHostRequested: false });
      return true;
    },
    setUnsaved(unsaved) {
      if (get().unsaved !== unsaved) set({ unsaved });
    },
    navigate(view, focusHost) {
      // Staying on the same view (the hash catching up with a click) keeps the host that came with it.
      set({ view, focusHost: focusHost ?? (view === get().view ? get().focusHost : undefined) });
    },
    notify(tone, text) {
      const notice: Notice = { id: nextNoticeId++, tone, text };
      set({ notices: [...get().notices, notice].slice(-MAX_NOTICES) });
    },
    dismissNotice(id) {
      set({ notices: get().notices.filter((notice) => notice.id !== id) });
    },
  };
};
