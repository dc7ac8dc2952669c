import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorMessage } from '../api/errors.ts';
import { FormError } from './FormError.tsx';
import { focusFirstInvalid } from '../hooks/useFocusInvalid.ts';

/** Where focus goes when the element that opened a dialog is gone (its row was removed): the view itself. */
function focusFallback(): void {
  const main = document.getElementById('main');
  main?.focus({ preventScroll: true });
}

/**
 * A modal built on `<dialog>`: the browser traps focus and closes on Escape (reported as `onClose`). Mounted only
 * while open; on unmount focus goes back to the element that opened it (or to the view, if that element is gone).
 * A failed submit moves focus to the first invalid field.
 */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  onSubmit?: (event: FormEvent<HTMLFormElement>) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { onClose } = props;
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const [attempt, setAttempt] = useState(0);
  // A layout effect, so the dialog closes while it is still in the document and focus can go back.
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return undefined;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    if (!dialog.open) dialog.showModal();
    const cancel = (event: Event): void => {
      event.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      // After React has removed the dialog (and perhaps the opener's row), put focus back.
      queueMicrotask(() => {
        if (opener?.isConnected && opener !== document.body) opener.focus();
        else focusFallback();
      });
    };
  }, []);
  useEffect(() => {
    if (attempt > 0) focusFirstInvalid(ref.current);
  }, [attempt]);
  const body = (
    <>
      <header className="dialog-header">
        <h2 id={titleId}>{props.title}</h2>
      </header>
      <div className="dialog-body">{props.children}</div>
      {props.footer ? <footer className="dialog-footer">{props.footer}</footer> : null}
    </>
  );
  return (
    <dialog ref={ref} className={props.wide ? 'dialog dialog-wide' : 'dialog'} aria-labelledby={titleId}>
      {props.onSubmit ? (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            props.onSubmit?.(event);
            setAttempt((count) => count + 1);
          }}
        >
          {body}
        </form>
      ) : (
        body
      )}
    </dialog>
  );
}

/** Asks before something that cannot be undone; shows the failure in place if the action throws. */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      onSubmit={() => void confirm()}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className={props.danger ? 'btn btn-danger' : 'btn btn-primary'} disabled={busy}>
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm-text">{props.children}</div>
      <FormError error={error} />
    </Dialog>
  );
}
