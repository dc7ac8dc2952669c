import { useState } from 'react';
import { flushSync } from 'react-dom';
import { Dialog } from '../../components/Dialog.tsx';
import { FormError } from '../../components/FormError.tsx';
import { AddHostFirst } from '../AddHostFirst.tsx';
import { IssueFields, KindChoice } from './IssueFields.tsx';
import { NewToken, NotCopiedWarning } from './NewToken.tsx';
import { useIssueForm } from './useIssueForm.ts';

/** The token is shown once: closing before it was copied asks first (Escape included). */
function useCloseAfterCopy(onClose: () => void) {
  const [copied, setCopied] = useState(false);
  const [confirmingClose, setConfirmingClose] = useState(false);
  return {
    confirmingClose,
    onCopied: () => setCopied(true),
    close: (): void => (copied ? onClose() : setConfirmingClose(true)),
    backToToken: (): void => {
      // The warning goes and focus moves to the token in one task; left to a timer, focus rested for a moment
      // wherever the browser put it when this button went (Done).
      flushSync(() => setConfirmingClose(false));
      document.getElementById('new-token-copy')?.focus();
    },
  };
}

function IssuedFooter(props: { closing: ReturnType<typeof useCloseAfterCopy>; onClose: () => void }) {
  const { closing } = props;
  if (!closing.confirmingClose) {
    return (
      <button type="button" className="btn" onClick={closing.close}>
        Done
      </button>
    );
  }
  return (
    <>
      <button type="button" className="btn" autoFocus onClick={closing.backToToken}>
        Back to the token
      </button>
      <button type="button" className="btn btn-danger" onClick={props.onClose}>
        Close without copying
      </button>
    </>
  );
}

/**
 * Issuing in a dialog: the choice with its trade-off, then the token itself, shown once, in the same place. Every
 * branch renders the one Dialog, so it stays mounted from form to token and focus goes back to the opener after.
 */
export function IssueDialog(props: { onClose: () => void }) {
  const form = useIssueForm();
  const closing = useCloseAfterCopy(props.onClose);

  if (form.result) {
    return (
      <Dialog
        title="Token issued"
        wide
        onClose={closing.close}
        footer={<IssuedFooter closing={closing} onClose={props.onClose} />}
      >
        <NewToken result={form.result} onCopied={closing.onCopied} />
        {closing.confirmingClose ? <NotCopiedWarning /> : null}
      </Dialog>
    );
  }

  if (form.hosts.length === 0) {
    return (
      <Dialog
        title="Issue a token"
        onClose={props.onClose}
        footer={
          <button type="button" className="btn" onClick={props.onClose}>
            Close
          </button>
        }
      >
        <AddHostFirst>A token names the host it opens.</AddHostFirst>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Issue a token"
      wide
      onClose={props.onClose}
      onSubmit={() => void form.submit()}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onClose} disabled={form.busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={form.busy}>
            {form.busy ? 'Issuing…' : 'Issue token'}
          </button>
        </>
      }
    >
      <KindChoice form={form} />
      <IssueFields form={form} />
      <FormError error={form.error} />
    </Dialog>
  );
}
