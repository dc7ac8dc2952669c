import { useState } from 'react';
import { defaultRdpOptions } from '../../../../shared/ipc/contract.ts';
import { errorMessage } from '../../api/errors.ts';
import { FormError } from '../../components/FormError.tsx';
import { HomeOnlyWarning } from '../../components/HomeOnlyWarning.tsx';
import { saveExportedFile } from '../../files.ts';
import { useHomegate } from '../../store/context.tsx';
import { ConnectFrom } from './ConnectFrom.tsx';

/** Connect: the first .rdp file, one click, for the first allowed host (Export has every option). */
export function ConnectStep(props: { onConnected: () => void }) {
  const hosts = useHomegate((state) => state.hosts);
  const exportRdp = useHomegate((state) => state.exportRdp);
  const [host, setHost] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const chosen = host ?? hosts[0]?.name;
  if (!chosen) return <p>Allow a PC first (step 1); then its .rdp file is one click away.</p>;
  const download = async (): Promise<void> => {
    setError(undefined);
    try {
      const file = await exportRdp({ host: chosen, mode: 'gateway', options: defaultRdpOptions() });
      saveExportedFile(file);
      setSaved(file.fileName);
      props.onConnected();
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  return (
    <>
      <p>Open the file with MSTSC or the Windows App: it connects through the gateway with a token of its own.</p>
      <HomeOnlyWarning />
      <div className="setup-actions">
        {hosts.length > 1 ? (
          <label className="setup-host-choice">
            <span className="field-label">Host</span>
            <select className="input" value={chosen} onChange={(event) => setHost(event.target.value)}>
              {hosts.map((h) => (
                <option key={h.name}>{h.name}</option>
              ))}
            </select>
          </label>
        ) : null}
        <button type="button" className="btn btn-primary" onClick={() => void download()}>
          Download {chosen}.rdp
        </button>
        <a href="#export">More options in Export</a>
      </div>
      {saved ? (
        <p role="status">
          Saved <strong>{saved}</strong>. Open it on the device you connect from.
        </p>
      ) : null}
      <FormError error={error} />
      <ConnectFrom host={chosen} />
    </>
  );
}
