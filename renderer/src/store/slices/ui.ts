import type { SliceCreator } from '../slice.ts';

export const VIEWS = ['sessions', 'hosts', 'access', 'export', 'certificates', 'settings', 'audit'] as const;
export type ViewId = (typeof VIEWS)[number];

export function isViewId(value: string): value is ViewId {
  return (VIEWS as readonly string[]).includes(value);
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
  readonly navigate: (view: ViewId, focusHost?: string) => void;
  readonly notify: (tone: Notice['tone'], text: string) => void;
  readonly dismissNotice: (id: number) => void;
}

export const createUiSlice: SliceCreator<UiSlice> = (set, get) => {
  let nextNoticeId = 1;
  return {
    view: 'sessions',
    focusHost: undefined,
    notices: [],
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
