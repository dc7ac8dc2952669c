import { useState } from 'react';
import { errorMessage } from '../../api/errors.ts';
import { Icon } from '../../components/Icon.tsx';
import { saveExportedFile } from '../../files.ts';
import { useHomegate } from '../../store/context.tsx';
import { Fingerprint } from './Fingerprint.tsx';

const TRUST_HINTS: readonly { readonly os: string; readonly format: 'PEM' | 'DER'; readonly steps: string }[] = [
  {
    os: 'Windows (MSTSC, Remote Desktop app)',
    format: 'DER',
    steps:
      'Run certutil -user -addstore Root homegate-ca.cer, or double-click the file and place it in Trusted Root Certification Authorities. MSTSC has no prompt to accept an unknown certificate.',
  },
  {
    os: 'macOS (Windows App)',
    format: 'PEM',
    steps:
      'Double-click the file to add it to the login keychain, then in Keychain Access set “When using this certificate” to Always Trust.',
  },
  {
    os: 'iOS and iPadOS',
    format: 'PEM',
    steps:
      'Send the file to the device and install the profile (Settings → General → VPN & Device Management), then turn on full trust under Settings → General → About → Certificate Trust Settings.',
  },
  {
    os: 'Android',
    format: 'DER',
    steps:
      'Copy the file to the device and install it as a CA certificate (usually Settings → Security → Encryption & credentials → Install a certificate).',
  },
  {
    os: 'Linux (FreeRDP, Remmina)',
    format: 'PEM',
    steps:
      'Copy it to /usr/local/share/ca-certificates/homegate-ca.crt and run update-ca-certificates, or trust on first use with /cert:tofu.',
  },
];

export function TrustTheGateway(props: { caFingerprint: string | undefined }) {
  const exportCa = useHomegate((state) => state.exportCa);
  const notify = useHomegate((state) => state.notify);
  const [busy, setBusy] = useState<'pem' | 'der' | undefined>(undefined);
  const download = async (format: 'pem' | 'der'): Promise<void> => {
    setBusy(format);
    try {
      saveExportedFile(await exportCa(format));
    } catch (error) {
      notify('error', `Could not export the CA: ${errorMessage(error)}`);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section className="card" aria-labelledby="cert-trust">
      <h2 className="card-title" id="cert-trust">
        Trust the gateway on your devices
      </h2>
      <p className="card-text">
        Install the local CA once on each client; it stays the same when the server certificate is renewed. Check that
        the device shows this fingerprint before you trust it: a CA you trust can vouch for any site.
      </p>
      {props.caFingerprint ? (
        <div className="field">
          <span className="field-label">CA fingerprint (SHA-256)</span>
          <Fingerprint value={props.caFingerprint} label="CA fingerprint" />
        </div>
      ) : null}
      <div className="card-actions">
        <button type="button" className="btn" disabled={busy !== undefined} onClick={() => void download('pem')}>
          <Icon name="export" /> CA certificate (.pem)
        </button>
        <button type="button" className="btn" disabled={busy !== undefined} onClick={() => void download('der')}>
          <Icon name="export" /> CA certificate (.cer, DER)
        </button>
      </div>
      <ul className="trust-list">
        {TRUST_HINTS.map((hint) => (
          <li key={hint.os}>
            <details>
              <summary>
                {hint.os} <span className="badge badge-neutral badge-inline">{hint.format}</span>
              </summary>
              <p>{hint.steps}</p>
            </details>
          </li>
        ))}
      </ul>
      <p className="muted small">
        Full steps, and what was not verified on real devices: <code>docs/trusting-the-gateway.md</code>.
      </p>
    </section>
  );
}
