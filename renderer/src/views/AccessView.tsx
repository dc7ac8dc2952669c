import { useEffect, useState } from 'react';
import type { IssuedToken } from '../../../shared/model/ui.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { useHomegate } from '../store/context.tsx';
import { IssueDialog } from './access/IssueDialog.tsx';
import { TokenTable } from './access/TokenTable.tsx';

export function AccessView() {
  const loadHosts = useHomegate((state) => state.loadHosts);
  const loadTokens = useHomegate((state) => state.loadTokens);
  const loadSettings = useHomegate((state) => state.loadSettings);
  const revokeToken = useHomegate((state) => state.revokeToken);
  const notify = useHomegate((state) => state.notify);
  const [issuing, setIssuing] = useState(false);
  const [revoking, setRevoking] = useState<IssuedToken | undefined>(undefined);

  useEffect(() => {
    void loadHosts();
    void loadTokens();
    void loadSettings();
  }, [loadHosts, loadTokens, loadSettings]);

  const issueButton = (
    <button type="button" className="btn btn-primary" onClick={() => setIssuing(true)}>
      <Icon name="plus" /> Issue token
    </button>
  );

  return (
    <>
      <PageHeader
        title="Access"
        description="Tokens let a client through the gateway to one host. Short-lived ones expire on their own; per-device ones last weeks, so revoke any that should stop working."
        actions={issueButton}
      />
      <section className="card card-flush" aria-labelledby="tokens-title">
        <h2 className="card-title card-title-flush" id="tokens-title">
          Issued tokens
        </h2>
        <TokenTable onRevoke={setRevoking} />
      </section>
      {issuing ? <IssueDialog onClose={() => setIssuing(false)} /> : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke this token?"
          confirmLabel="Revoke token"
          danger
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await revokeToken(revoking.jti);
            notify('success', `Revoked the token for ${revoking.host}.`);
          }}
        >
          <p>
            The token for <strong>{revoking.host}</strong>
            {(revoking.device ?? revoking.label) ? ` (${revoking.device ?? revoking.label})` : ''} stops working at
            once, including in any .rdp file that carries it. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
