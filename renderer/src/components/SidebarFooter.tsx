import { useState } from 'react';
import { errorMessage } from '../api/errors.ts';
import { drafts } from '../drafts.ts';
import { useHomegate, useTransport } from '../store/context.tsx';
import { Icon } from './Icon.tsx';

/** Sign out (where the transport has a session to end) and the version. */
export function SidebarFooter() {
  const version = useHomegate((state) => state.status?.version);
  const notify = useHomegate((state) => state.notify);
  const transport = useTransport();
  const [signingOut, setSigningOut] = useState(false);

  const signOut = async (): Promise<void> => {
    setSigningOut(true);
    // Signing out on purpose drops unsaved edits (they are kept only across an expired session).
    drafts.clear();
    try {
      await transport.logout?.();
    } catch (error) {
      notify('error', `Could not sign out: ${errorMessage(error)}`);
      setSigningOut(false);
    }
  };

  return (
    <div className="sidebar-footer">
      {transport.logout ? (
        <button type="button" className="btn btn-ghost btn-block" onClick={() => void signOut()} disabled={signingOut}>
          <Icon name="logout" /> Sign out
        </button>
      ) : null}
      <p className="sidebar-version">{version ? `Version ${version}` : '\u00a0'}</p>
    </div>
  );
}
