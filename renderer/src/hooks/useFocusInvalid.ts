import { useEffect, useRef, useState, type RefObject } from 'react';

/** Focuses the first control marked invalid inside `container`; true when there was one. */
export function focusFirstInvalid(container: Element | null): boolean {
  const invalid = container?.querySelector<HTMLElement>('[aria-invalid="true"]');
  if (!invalid) return false;
  invalid.focus();
  return true;
}

/**
 * For a form outside a dialog: call `attempted()` on each submit; once React has drawn the errors, focus moves to
 * the first invalid field (a person using the keyboard or a screen reader lands on what needs fixing).
 */
export function useFocusInvalid<T extends HTMLElement>(): { ref: RefObject<T | null>; attempted: () => void } {
  const ref = useRef<T>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (attempt > 0) focusFirstInvalid(ref.current);
  }, [attempt]);
  return { ref, attempted: () => setAttempt((count) => count + 1) };
}
