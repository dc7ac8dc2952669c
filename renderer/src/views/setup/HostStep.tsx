import { useEffect, useState } from 'react';
import type { LocalRdpServer } from '../../../../shared/model/onboarding.ts';
import { errorMessage } from '../../api/errors.ts';
import { FormError } from '../../components/FormError.tsx';
import { useHomegate } from '../../store/context.tsx';

/** The name "This PC" gets when it is allowed: a host name the settings accept. */
export const THIS_PC_NAME = 'this-pc';

function HostTest({ name }: { name: string }) {
  const probe = useHomegate((state) => state.probes[name]);
  const testHost = useHomegate((state) => state.testHost);
  let result = '';
  if (probe?.phase === 'testing') result = 'Testing…';
  if (probe?.phase === 'error') result = probe.error;
  if (probe?.phase === 'done') {
    result = probe.probe.reachable ? `Answers (${probe.probe.latencyMs ?? 0} ms)` : `No answer: ${probe.probe.error}`;
  }
  return (
    <li className="setup-host">
      <span className="setup-host-name">{name}</span>
      <button type="button" className="btn btn-sm" onClick={() => void testHost(name)}>
        Test {name}
      </button>
      <span className="muted" role="status">
        {result}
      </span>
    </li>
  );
}

/** Allow a PC: "This PC" when RDP answers here, any other host through the Hosts view, each with a Test. */
export function HostStep() {
  const hosts = useHomegate((state) => state.hosts);
  const localRdp = useHomegate((state) => state.localRdp);
  const findLocalRdp = useHomegate((state) => state.findLocalRdp);
  const addHost = useHomegate((state) => state.addHost);
  const openAddHost = useHomegate((state) => state.openAddHost);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    void findLocalRdp();
  }, [findLocalRdp]);
  const thisPcAllowed = hosts.some((host) => host.name === THIS_PC_NAME);
  const allow = async (server: LocalRdpServer): Promise<void> => {
    setError(undefined);
    try {
      await addHost({ name: THIS_PC_NAME, address: server.address, port: server.port });
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  const offer = !thisPcAllowed ? localRdp?.[0] : undefined;
  return (
    <>
      <p>Choose the computers clients may reach through the gateway. Nothing else on your network is reachable.</p>
      {offer ? (
        <p>
          Remote Desktop answers on this computer ({offer.address}:{offer.port}).{' '}
          <button type="button" className="btn btn-primary btn-sm" onClick={() => void allow(offer)}>
            Allow This PC
          </button>
        </p>
      ) : null}
      {localRdp !== undefined && localRdp.length === 0 && hosts.length === 0 ? (
        <p className="muted">Remote Desktop does not answer on this computer; add the PC you want to reach.</p>
      ) : null}
      <FormError error={error} />
      {hosts.length > 0 ? (
        <ul className="setup-hosts" aria-label="Allowed hosts">
          {hosts.map((host) => (
            <HostTest key={host.name} name={host.name} />
          ))}
        </ul>
      ) : null}
      <button type="button" className="btn btn-sm" onClick={openAddHost}>
        Add another host
      </button>
    </>
  );
}
