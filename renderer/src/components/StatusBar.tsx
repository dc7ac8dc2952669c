import { useState } from 'react';
import { formatHostAndPort } from '../../../shared/model/hosts.ts';
import { errorMessage } from '../api/errors.ts';
import { useHomegate } from '../store/context.tsx';

/** Always in the bar (empty while the link is up), so its message appears without moving anything else. */
function LinkIndicator() {
  const link = useHomegate((state) => state.link);
  return (
    <span className="status-item status-link" role="status">
      {link === 'open' ? null : (
        <>
          <span className="dot dot-warning" aria-hidden="true" />
          <span className="status-link-text">
            {link === 'reconnecting' ? 'Live updates lost — reconnecting…' : 'Connecting…'}
          </span>
        </>
      )}
    </span>
  );
}

function PauseSwitch() {
  const paused = useHomegate((state) => state.status?.paused);
  const setPaused = useHomegate((state) => state.setPaused);
  const notify = useHomegate((state) => state.notify);
  const [busy, setBusy] = useState(false);
  if (paused === undefined) return null;
  const toggle = async (): Promise<void> => {
    setBusy(true);
    try {
      await setPaused(!paused);
      notify('info', paused ? 'The gateway accepts new connections again.' : 'Paused: new connections are refused.');
    } catch (error) {
      notify('error', `Could not ${paused ? 'resume' : 'pause'}: ${errorMessage(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      role="switch"
      aria-checked={paused}
      className="switch"
      disabled={busy}
      onClick={() => void toggle()}
      title="While paused, new connections are refused; live sessions carry on."
    >
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      Pause<span className="status-long"> new connections</span>
    </button>
  );
}

/** The gateway at a glance: where it listens, how many are connected, and the Pause switch. */
export function StatusBar() {
  const status = useHomegate((state) => state.status);
  const statusLoad = useHomegate((state) => state.statusLoad);
  const liveCount = useHomegate((state) => state.sessions.length);

  let tone = 'dot-muted';
  let headline = 'Checking the gateway…';
  if (statusLoad.phase === 'error') {
    tone = 'dot-danger';
    headline = 'The gateway did not answer';
  } else if (status) {
    if (!status.listening) {
      tone = 'dot-danger';
      headline = 'Not listening';
    } else if (status.paused) {
      tone = 'dot-warning';
      headline = 'Paused';
    } else {
      tone = 'dot-success';
      headline = 'Accepting connections';
    }
  }

  return (
    <footer className="statusbar" aria-label="Gateway status">
      <span className="status-item status-headline">
        <span className={`dot ${tone}`} aria-hidden="true" />
        {headline}
      </span>
      {status?.listening ? (
        <span className="status-item status-listening">
          Listening on <code>{formatHostAndPort(status.listening.host, status.listening.port)}</code>
        </span>
      ) : null}
      {status?.publicAddress ? (
        <span className="status-item status-optional">
          Clients use <code>{status.publicAddress}</code>
        </span>
      ) : null}
      {status?.relayListening ? (
        <span className="status-item status-optional">
          Relay <code>{formatHostAndPort(status.relayListening.host, status.relayListening.port)}</code>
        </span>
      ) : null}
      <span className="status-item" aria-live="polite">
        {liveCount} live<span className="status-long">{liveCount === 1 ? ' session' : ' sessions'}</span>
      </span>
      <LinkIndicator />
      {status?.auditLogProblem ? (
        <span className="status-item" role="alert" title={`Since ${status.auditLogProblem.since}`}>
          <span className="dot dot-danger" aria-hidden="true" />
          Audit log not written: {status.auditLogProblem.error}
        </span>
      ) : null}
      <span className="status-spacer" />
      <PauseSwitch />
    </footer>
  );
}
