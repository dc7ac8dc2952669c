import { useState } from 'react';
import { errorMessage } from '../../api/errors.ts';
import { FormError } from '../../components/FormError.tsx';
import { saveExportedFile } from '../../files.ts';
import { useHomegate } from '../../store/context.tsx';
import { TRUST_GUIDES, type CaFormat } from './trust-guides.ts';

/** Trust the certificate: pick the device, follow its steps with its file; or use a publicly trusted certificate. */
export function TrustStep(props: { done: boolean; onDone: () => void }) {
  const exportCa = useHomegate((state) => state.exportCa);
  const source = useHomegate((state) => state.certificate?.source);
  const [chosen, setChosen] = useState(TRUST_GUIDES[0]?.id ?? '');
  const [error, setError] = useState<string | undefined>(undefined);
  const guide = TRUST_GUIDES.find((candidate) => candidate.id === chosen) ?? TRUST_GUIDES[0];
  const download = async (format: CaFormat): Promise<void> => {
    setError(undefined);
    try {
      saveExportedFile(await exportCa(format));
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  if (source === 'imported') {
    return <p>The gateway serves a certificate you imported; devices that trust its issuer need nothing more.</p>;
  }
  return (
    <>
      <p>
        Each device that connects must trust the gateway's own certificate authority once. Pick the device to see how.
      </p>
      <fieldset className="segmented-field">
        <legend className="field-label">Device</legend>
        <div className="segmented segmented-wrap">
          {TRUST_GUIDES.map((candidate) => (
            <label key={candidate.id} className={candidate.id === chosen ? 'segment segment-selected' : 'segment'}>
              <input
                type="radio"
                name="trust-device"
                checked={candidate.id === chosen}
                onChange={() => setChosen(candidate.id)}
              />
              {candidate.label}
            </label>
          ))}
        </div>
      </fieldset>
      {guide ? (
        <div className="setup-guide" aria-label={`Steps for ${guide.label}`} role="group">
          <button type="button" className="btn btn-primary btn-sm" onClick={() => void download(guide.download.format)}>
            {guide.download.label}
          </button>
          <ol className="setup-guide-steps">
            {guide.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
          {guide.note ? <p className="muted">{guide.note}</p> : null}
        </div>
      ) : null}
      <FormError error={error} />
      <p className="muted">
        Or serve a publicly trusted certificate for your public name (from Let's Encrypt, say): import it on the{' '}
        <a href="#certificates">Certificates</a> page, and no device needs these steps.
      </p>
      {!props.done ? (
        <button type="button" className="btn btn-sm" onClick={props.onDone}>
          My devices trust it
        </button>
      ) : null}
    </>
  );
}
