/**
 * Unsaved edits kept outside the store, keyed by view. The store is rebuilt at every sign-in (nothing of a session
 * lingers), but an edit the user had not saved when their session expired must survive the sign-in that follows.
 * In memory only: a reload or a deliberate sign-out drops them.
 */
const kept = new Map<string, unknown>();

export const drafts = {
  get<T>(key: string): T | undefined {
    return kept.get(key) as T | undefined;
  },
  set(key: string, value: unknown): void {
    kept.set(key, value);
  },
  delete(key: string): void {
    kept.delete(key);
  },
  clear(): void {
    kept.clear();
  },
};
