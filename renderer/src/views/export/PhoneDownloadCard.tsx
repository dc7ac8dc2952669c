import { useState } from 'react';
import { contract } from '../../../../shared/ipc/contract.ts';
import type { DownloadLink } from '../../../../shared/model/ui.ts';
import { errorMessage } from '../../api/errors.ts';
import { fieldErrors, TextField } from '../../components/Field.tsx';
import { FormError } from '../../components/FormError.tsx';
import { HostSelect } from '../../components/HostSelect.tsx';
import { Icon } from '../../components/Icon.tsx';
import { QrCode } from '../../components/QrCode.tsx';
import { formatTime } from '../../format.ts';
import { useHomegate } from '../../store/context.tsx';

/**
 * "Download on a phone": a QR code of a one-time link that downloads the host's .rdp file, with a per-device token
 * of its own, on whatever scans it. The link works once, for ten minutes; the token is listed under Access.
 */
export function PhoneDownloadCard() {
  const hosts = useHomegate((state) => state.hosts);
  const createDownloadLink = useHomegate((state) => state.createDownloadLink);
  const [host, setHost] = useState('');
  const [device, setDevice] = useState('Phone');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [link, setLink] = useState<DownloadLink | undefined>(undefined);
  const chosenHost = hosts.some((h) => h.name === host) ? host : (hosts[0]?.name ?? '');
  const parsed = contract.calls['rdp.downloadLink'].input.safeParse({ host: chosenHost, device });
  const errors = fieldErrors(submitted && !parsed.success ? parsed.error.issues : []);

  const create = async (): Promise<void> => {
    setSubmitted(true);
    setError(undefined);
    if (!parsed.success) return;
    setBusy(true);
    try {
      setLink(await createDownloadLink(parsed.data));
      setSubmitted(false);
    } catch (caught) {
      setLink(undefined);
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  if (hosts.length === 0) return null;
  return (
    <section className="card" aria-labelledby="export-phone">
      <h2 className="card-title" id="export-phone">
        On a phone or tablet
      </h2>
      <p className="muted">
        Scan a QR code to download the .rdp file straight onto the device, with a per-device token you can revoke under{' '}
        <a href="#access">Access</a>.
      </p>
      <div className="form-grid">
        {hosts.length > 1 ? (
          <HostSelect hosts={hosts} value={chosenHost} error={errors.host} onChange={setHost} />
        ) : null}
        <TextField
          label="Device"
          error={errors.device}
          hint="Names the token, such as “Sam’s iPhone”."
          value={device}
          onChange={setDevice}
          input={{ maxLength: 64 }}
        />
      </div>
      <div className="form-actions">
        <button type="button" className="btn" disabled={busy} onClick={() => void create()}>
          <Icon name="export" /> {busy ? 'Preparing…' : 'Download on a phone'}
        </button>
      </div>
      <FormError error={error} />
      {link ? <DownloadLinkQr link={link} /> : null}
    </section>
  );
}

/** The issued link as a QR code, with what scanning it does and until when. */
function DownloadLinkQr({ link }: { link: DownloadLink }) {
  return (
    <figure className="setup-qr">
      <QrCode text={link.url} label={`QR code of a one-time download link for ${link.host}.rdp`} />
      <figcaption role="status">
        Scan it with the phone’s camera: it downloads {link.host}.rdp for “{link.device}” once, until{' '}
        <time dateTime={link.expiresAt}>{formatTime(link.expiresAt)}</time>. Open the file with the Windows App.
      </figcaption>
    </figure>
  );
}
