import type { SessionInfo } from '../../../../shared/model/sessions.ts';
import { IDLE, loader, READY, type Loadable, type SliceCreator } from '../slice.ts';

export interface SessionsSlice {
  /** Live sessions only, newest first. */
  readonly sessions: readonly SessionInfo[];
  readonly sessionsLoad: Loadable;
  readonly loadSessions: () => Promise<void>;
  /** From `sessions.changed`: the whole list, which may still carry sessions that just ended. */
  readonly setSessions: (sessions: readonly SessionInfo[]) => void;
  /** Ends a session from the UI; false when it had already ended. */
  readonly disconnectSession: (id: string) => Promise<boolean>;
}

/** Keeps the live ones, newest first, so the list does not jump when bytes change. */
export function liveSessions(sessions: readonly SessionInfo[]): readonly SessionInfo[] {
  return sessions
    .filter((session) => session.endedAt === undefined)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id));
}

export const createSessionsSlice: SliceCreator<SessionsSlice> = (set, get, api) => ({
  sessions: [],
  sessionsLoad: IDLE,
  loadSessions: loader(set, get, 'sessionsLoad', async () => ({
    sessions: liveSessions(await api['sessions.list'](undefined)),
  })),
  setSessions(sessions) {
    set({ sessions: liveSessions(sessions), sessionsLoad: READY });
  },
  async disconnectSession(id) {
    const ended = await api['sessions.disconnect']({ id });
    // The registry announces the end as well; drop it now so the row does not linger until then.
    set({ sessions: get().sessions.filter((session) => session.id !== id) });
    return ended;
  },
});
