import { useState } from 'react';
import type { SessionInfo } from '../../../../shared/model/sessions.ts';
import { errorMessage } from '../../api/errors.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { FormError } from '../../components/FormError.tsx';
import { clientLabel, type TokenFacts } from './session-facts.ts';

/** Disconnect only, or disconnect and revoke the token in one step, so the client cannot simply reconnect. */
export function DisconnectDialog(props: {
  session: SessionInfo;
  facts: TokenFacts;
  onClose: () => void;
  onDisconnect: (revoke: boolean) => Promise<void>;
}) {
  const { session, facts } = props;
  const [busy, setBusy] = useState<'disconnect' | 'revoke' | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (revoke: boolean): Promise<void> => {
    setBusy(revoke ? 'revoke' : 'disconnect');
    setError(undefined);
    try {
      await props.onDisconnect(revoke);
      props.onClose();
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(undefined);
    }
  };
  const tokenText = facts.name ? `the token “${facts.name}”` : 'its token';
  return (
    <Dialog
      title="Disconnect this session?"
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onClose} disabled={busy !== undefined}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger-ghost"
            onClick={() => void run(false)}
            disabled={busy !== undefined}
          >
            {busy === 'disconnect' ? 'Disconnecting…' : 'Disconnect'}
          </button>
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => void run(true)}
            disabled={busy !== undefined || facts.revoked}
          >
            {busy === 'revoke' ? 'Working…' : 'Disconnect and revoke'}
          </button>
        </>
      }
    >
      <div className="confirm-text">
        <p>
          <strong>{clientLabel(session)}</strong> will be disconnected from <strong>{session.host}</strong>. The client
          is told that an administrator ended the session.
        </p>
        <p className="muted">
          <strong>Disconnect</strong> leaves {tokenText} valid: the client can connect again.{' '}
          <strong>Disconnect and revoke</strong> also stops {tokenText} for good, wherever it is saved.
        </p>
      </div>
      <FormError error={error} />
    </Dialog>
  );
}
