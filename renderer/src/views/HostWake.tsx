import { useEffect, useState } from 'react';
import type { Host } from '../../../shared/model/hosts.ts';
import { errorMessage } from '../api/errors.ts';
import { Icon } from '../components/Icon.tsx';
import { formatDateTime } from '../format.ts';
import { useHomegate } from '../store/context.tsx';

/** Reads every host's last reachability once the Hosts view opens. */
export function useLastReachability(): void {
  const loadReachability = useHomegate((state) => state.loadReachability);
  useEffect(() => {
    void loadReachability();
  }, [loadReachability]);
}

/** What the gateway last found when it reached (or tried to reach) the host, with its time; for an untested row. */
export function LastReachability(props: { name: string }) {
  const last = useHomegate((state) => state.reachability[props.name.toLowerCase()]);
  if (!last) return <span className="muted">Not tested</span>;
  const when = formatDateTime(last.at);
  return (
    <span className="probe">
      <span className={`badge ${last.reachable ? 'badge-success' : 'badge-danger'}`}>
        {last.reachable ? 'Reachable' : 'Unreachable'}
      </span>
      <span className="cell-secondary">
        Last seen <time dateTime={last.at}>{when}</time>
        {last.woken ? (last.reachable ? ', after Wake-on-LAN' : ', even after Wake-on-LAN') : ''}
      </span>
    </span>
  );
}

/** "Wake now" for a host with a MAC: the gateway sends its magic packet. */
export function WakeButton(props: { host: Host }) {
  const wakeHost = useHomegate((state) => state.wakeHost);
  const notify = useHomegate((state) => state.notify);
  const [sending, setSending] = useState(false);
  const { name, mac } = props.host;
  if (mac === undefined) return null;

  const wake = async (): Promise<void> => {
    setSending(true);
    try {
      const result = await wakeHost(name);
      notify(
        'success',
        `Sent a wake-up packet to ${result.host} (to ${result.sentTo}). A PC can take a minute to start.`,
      );
    } catch (error) {
      notify('error', `Could not wake ${name}: ${errorMessage(error)}`);
    } finally {
      setSending(false);
    }
  };

  return (
    <button
      type="button"
      className="btn btn-sm"
      onClick={() => void wake()}
      disabled={sending}
      aria-label={`Wake ${name} now`}
    >
      <Icon name="power" /> Wake now
    </button>
  );
}
