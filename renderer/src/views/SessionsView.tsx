import { useEffect, useState } from 'react';
import type { SessionInfo } from '../../../shared/model/sessions.ts';
import { PageHeader } from '../components/PageHeader.tsx';
import { useTokenNames } from '../hooks/useTokenNames.ts';
import { useHomegate } from '../store/context.tsx';
import { DisconnectDialog } from './sessions/DisconnectDialog.tsx';
import { clientLabel, tokenFacts } from './sessions/session-facts.ts';
import { SessionTable } from './sessions/SessionTable.tsx';
import { SetupChecklist } from './setup/SetupChecklist.tsx';

/** The issued tokens, to name the token behind each session. */
function useSessionTokens() {
  const sessions = useHomegate((state) => state.sessions);
  const loadTokens = useHomegate((state) => state.loadTokens);
  const tokens = useTokenNames();
  const tokenIds = sessions.map((session) => session.tokenId).join(' ');
  // A session opened with a token this page has not seen (just issued, or from the command line): list again.
  useEffect(() => {
    void loadTokens();
  }, [loadTokens, tokenIds]);
  return tokens;
}

/** On first run the page shows the way to a first connection instead of only saying nobody is connected. */
function useFirstRun(): boolean {
  const noSessions = useHomegate((state) => state.sessions.length === 0);
  const loadOnboarding = useHomegate((state) => state.loadOnboarding);
  const onboardingOver = useHomegate((state) => state.onboarding?.finished ?? true);
  useEffect(() => {
    void loadOnboarding();
  }, [loadOnboarding]);
  return !onboardingOver && noSessions;
}

export function SessionsView() {
  const disconnectSession = useHomegate((state) => state.disconnectSession);
  const revokeToken = useHomegate((state) => state.revokeToken);
  const notify = useHomegate((state) => state.notify);
  const [confirming, setConfirming] = useState<SessionInfo | undefined>(undefined);
  const tokens = useSessionTokens();
  const firstRun = useFirstRun();

  return (
    <>
      <PageHeader
        title="Sessions"
        description="Who is connected through the gateway right now, to which host, and how much is flowing."
      />
      {firstRun ? <SetupChecklist /> : null}
      <section className="card card-flush" aria-label="Live sessions">
        <SessionTable tokens={tokens} onDisconnect={setConfirming} />
      </section>
      {confirming ? (
        <DisconnectDialog
          session={confirming}
          facts={tokenFacts(confirming, tokens)}
          onClose={() => setConfirming(undefined)}
          onDisconnect={async (revoke) => {
            if (revoke) await revokeToken(confirming.tokenId);
            // Revoking ends every session of the token already; the session may be gone by now.
            await disconnectSession(confirming.id);
            notify(
              'success',
              revoke
                ? `Disconnected ${clientLabel(confirming)} and revoked its token: it cannot connect again.`
                : `Disconnected ${clientLabel(confirming)} from ${confirming.host}.`,
            );
          }}
        />
      ) : null}
    </>
  );
}
