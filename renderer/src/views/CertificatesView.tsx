import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { contract } from '../../../shared/ipc/contract.ts';
import type { CertificateInfo } from '../../../shared/model/ui.ts';
import { errorMessage } from '../api/errors.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { Field } from '../components/Field.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { ErrorState, LoadingState } from '../components/States.tsx';
import { copyText, readFileBase64, readFileText, saveExportedFile } from '../files.ts';
import { daysUntil, formatDateTime } from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { explainImportError, type ImportField } from '../cert-errors.ts';
import { useFocusInvalid } from '../hooks/useFocusInvalid.ts';
import { useHomegate } from '../store/context.tsx';
import { CERT_WARNING_DAYS } from '../store/slices/certificates.ts';

function Fingerprint(props: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="fingerprint">
      <code className="mono fingerprint-value">
        {props.value.split(':').map((pair, index) => (
          // Break lines only between byte pairs; <wbr> adds nothing to a copied selection.
          <span key={index}>
            {index > 0 ? ':' : ''}
            {index > 0 ? <wbr /> : null}
            {pair}
          </span>
        ))}
      </code>
      <button
        type="button"
        className="icon-btn"
        aria-label={`Copy the ${props.label}`}
        title="Copy"
        onClick={() => void copyText(props.value).then(setCopied)}
      >
        <Icon name={copied ? 'check' : 'copy'} />
      </button>
    </div>
  );
}

function ExpiryNotice(props: { certificate: CertificateInfo; now: number }) {
  const days = daysUntil(props.certificate.notAfter, props.now);
  const local = props.certificate.source === 'local';
  if (days < 0) {
    return (
      <div className="callout callout-danger" role="alert">
        <Icon name="alert" />
        <p>
          This certificate has <strong>expired</strong>. Clients refuse the gateway until it is replaced
          {local ? ': regenerate it below.' : ': import a new one below.'}
        </p>
      </div>
    );
  }
  if (days < CERT_WARNING_DAYS) {
    return (
      <div className="callout callout-warning" role="alert">
        <Icon name="alert" />
        <p>
          This certificate expires in <strong>{days === 0 ? 'less than a day' : `${days} days`}</strong>.{' '}
          {local
            ? 'The gateway renews its local certificate on its own; regenerate it now if renewal failed.'
            : 'Imported certificates are never renewed: import the new one before then.'}
        </p>
      </div>
    );
  }
  return null;
}

function CurrentCertificate(props: { certificate: CertificateInfo }) {
  const { certificate } = props;
  const regenerate = useHomegate((state) => state.regenerateCertificate);
  const notify = useHomegate((state) => state.notify);
  const now = useNow(60_000);
  const [confirming, setConfirming] = useState(false);
  const days = daysUntil(certificate.notAfter, now);
  const names = [...certificate.dnsNames, ...certificate.ipAddresses];
  return (
    <section className="card" aria-labelledby="cert-current">
      <div className="card-head">
        <h2 className="card-title" id="cert-current">
          Certificate in use
        </h2>
        <span className={certificate.source === 'local' ? 'badge badge-accent' : 'badge badge-neutral'}>
          {certificate.source === 'local' ? 'Local CA' : 'Imported'}
        </span>
      </div>
      <ExpiryNotice certificate={certificate} now={now} />
      <dl className="details">
        <dt>Subject</dt>
        <dd className="mono">{certificate.subject}</dd>
        <dt>Issuer</dt>
        <dd className="mono">{certificate.issuer}</dd>
        <dt>Names</dt>
        <dd>
          {names.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="chips">
              {names.map((name) => (
                <li key={name} className="chip mono">
                  {name}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Fingerprint (SHA-256)</dt>
        <dd>
          <Fingerprint value={certificate.fingerprintSha256} label="certificate fingerprint" />
        </dd>
        <dt>Expires</dt>
        <dd>
          {formatDateTime(certificate.notAfter)}{' '}
          <span className={days < CERT_WARNING_DAYS ? 'badge badge-warning' : 'muted'}>
            {days < 0 ? 'expired' : `${days} days left`}
          </span>
        </dd>
      </dl>
      <div className="card-actions">
        <button type="button" className="btn" onClick={() => setConfirming(true)}>
          <Icon name="refresh" /> Regenerate
        </button>
      </div>
      <p className="muted small">
        An existing certificate keeps its key type until you regenerate it. New certificates use RSA 2048, which MSTSC
        and older clients accept, unless the settings ask for ECDSA (<code>tls.keyType</code>, or{' '}
        <code>homegate cert regenerate --key-type ecdsa-p256</code>).
      </p>
      {confirming ? (
        <ConfirmDialog
          title="Issue a new certificate?"
          confirmLabel="Regenerate"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const fresh = await regenerate();
            notify(
              'success',
              fresh.source === 'imported'
                ? 'Issued a new local certificate; the imported one is still served.'
                : 'The gateway now serves a new certificate.',
            );
          }}
        >
          <p>The local CA issues a new server certificate, and new connections get it at once.</p>
          <p className="muted">
            Clients that trust the CA notice nothing. Clients that pinned the old fingerprint (FreeRDP{' '}
            <code>/cert:tofu</code> or a fingerprint pin) refuse the gateway until you update them.
            {certificate.source === 'imported' ? ' The imported certificate stays in use.' : ''}
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** A file-picker button that fills a text area or a value; the input itself stays visually hidden. */
function FilePick(props: {
  label: string;
  accept: string;
  onPick: (file: File) => void;
  invalid?: boolean;
  describedBy?: string | undefined;
}) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={ref}
        type="file"
        className="sr-only"
        tabIndex={-1}
        accept={props.accept}
        aria-label={props.label}
        onChange={(event: ChangeEvent<HTMLInputElement>) => {
          const file = event.target.files?.[0];
          if (file) props.onPick(file);
          event.target.value = '';
        }}
      />
      <button
        type="button"
        className="btn btn-sm"
        aria-invalid={props.invalid ? true : undefined}
        aria-describedby={props.describedBy}
        onClick={() => ref.current?.click()}
      >
        <Icon name="upload" /> {props.label}
      </button>
    </>
  );
}

function ImportCertificate() {
  const importCertificate = useHomegate((state) => state.importCertificate);
  const notify = useHomegate((state) => state.notify);
  const [format, setFormat] = useState<'pem' | 'pfx'>('pem');
  const [certPem, setCertPem] = useState('');
  const [keyPem, setKeyPem] = useState('');
  const [pfx, setPfx] = useState<{ name: string; base64: string } | undefined>(undefined);
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  // Each problem next to the field it is about; switching format clears them (they were about the other files).
  const [errors, setErrors] = useState<Partial<Record<ImportField, string>>>({});
  const setError = (field: ImportField, text: string | undefined): void =>
    setErrors(text === undefined ? {} : { [field]: text });
  const clearError = (field: ImportField): void =>
    setErrors((current) => (current[field] === undefined && current.form === undefined ? current : {}));
  const choose = (next: 'pem' | 'pfx'): void => {
    setFormat(next);
    setErrors({});
  };
  const { ref, attempted } = useFocusInvalid<HTMLFormElement>();

  const request =
    format === 'pem'
      ? { certPem: certPem.trim(), keyPem: keyPem.trim() }
      : { pfxBase64: pfx?.base64 ?? '', passphrase };

  const pick = (field: ImportField, apply: (text: string) => void) => (file: File) => {
    readFileText(file).then(
      (text) => {
        apply(text);
        clearError(field);
      },
      (caught: unknown) => setError(field, `This file could not be read: ${errorMessage(caught)}`),
    );
  };

  const submit = async (): Promise<void> => {
    setErrors({});
    const parsed = contract.calls['certs.import'].input.safeParse(request);
    if (!parsed.success) {
      if (format === 'pfx') setErrors({ pfx: 'Choose the .pfx file first.' });
      else if (certPem.trim() === '') setErrors({ certPem: 'Paste the certificate, or choose its file.' });
      else setErrors({ keyPem: 'Paste the private key, or choose its file.' });
      attempted();
      return;
    }
    setBusy(true);
    try {
      const certificate = await importCertificate(parsed.data);
      notify('success', `Now serving the imported certificate for ${certificate.subject}.`);
      setCertPem('');
      setKeyPem('');
      setPfx(undefined);
      setPassphrase('');
    } catch (caught) {
      const problem = explainImportError(errorMessage(caught), format);
      setError(problem.field, problem.text);
      attempted();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="cert-import">
      <h2 className="card-title" id="cert-import">
        Use your own certificate
      </h2>
      <p className="card-text">
        A certificate from a public CA (such as Let's Encrypt) is trusted by every client without setup. It needs a name
        for each public name of the gateway, and it is never renewed here.
      </p>
      <form
        ref={ref}
        className="stack"
        noValidate
        aria-label="Import a certificate"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div className="segmented" role="radiogroup" aria-label="File format">
          <label className={format === 'pem' ? 'segment segment-selected' : 'segment'}>
            <input type="radio" name="format" checked={format === 'pem'} onChange={() => choose('pem')} />
            PEM certificate and key
          </label>
          <label className={format === 'pfx' ? 'segment segment-selected' : 'segment'}>
            <input type="radio" name="format" checked={format === 'pfx'} onChange={() => choose('pfx')} />
            PKCS#12 (.pfx)
          </label>
        </div>
        {format === 'pem' ? (
          <div className="form-grid">
            <Field
              label="Certificate chain"
              hint="The server certificate first, then any intermediates."
              error={errors.certPem}
            >
              {(control) => (
                <>
                  <textarea
                    {...control}
                    className="input mono pem"
                    rows={6}
                    spellCheck={false}
                    placeholder="-----BEGIN CERTIFICATE-----"
                    value={certPem}
                    onChange={(event) => {
                      setCertPem(event.target.value);
                      clearError('certPem');
                    }}
                  />
                  <FilePick
                    label="Choose certificate file"
                    accept=".pem,.crt,.cer"
                    onPick={pick('certPem', setCertPem)}
                  />
                </>
              )}
            </Field>
            <Field label="Private key" hint="Stays on the gateway; never shown again." error={errors.keyPem}>
              {(control) => (
                <>
                  <textarea
                    {...control}
                    className="input mono pem"
                    rows={6}
                    spellCheck={false}
                    placeholder="-----BEGIN PRIVATE KEY-----"
                    value={keyPem}
                    onChange={(event) => {
                      setKeyPem(event.target.value);
                      clearError('keyPem');
                    }}
                  />
                  <FilePick label="Choose key file" accept=".pem,.key" onPick={pick('keyPem', setKeyPem)} />
                </>
              )}
            </Field>
          </div>
        ) : (
          <div className="form-grid">
            <div className="field">
              <span className="field-label" id="pfx-label">
                PKCS#12 file
              </span>
              <div className="file-row">
                <FilePick
                  label="Choose .pfx file"
                  accept=".pfx,.p12"
                  invalid={errors.pfx !== undefined}
                  describedBy={errors.pfx === undefined ? undefined : 'pfx-error'}
                  onPick={(file) =>
                    void readFileBase64(file).then(
                      (base64) => {
                        setPfx({ name: file.name, base64 });
                        clearError('pfx');
                      },
                      (caught: unknown) => setError('pfx', `This file could not be read: ${errorMessage(caught)}`),
                    )
                  }
                />
                <span className={pfx ? 'mono' : 'muted'}>{pfx ? pfx.name : 'No file chosen'}</span>
              </div>
              {errors.pfx ? (
                <p className="field-error" id="pfx-error">
                  {errors.pfx}
                </p>
              ) : null}
            </div>
            <Field label="Passphrase" hint="Leave empty if the file has none." error={errors.passphrase}>
              {(control) => (
                <input
                  {...control}
                  type="password"
                  className="input"
                  autoComplete="off"
                  value={passphrase}
                  onChange={(event) => {
                    setPassphrase(event.target.value);
                    clearError('passphrase');
                  }}
                />
              )}
            </Field>
          </div>
        )}
        {errors.form ? (
          <p className="form-error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <div>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            <Icon name="upload" /> {busy ? 'Importing…' : 'Import certificate'}
          </button>
        </div>
      </form>
    </section>
  );
}

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

function TrustTheGateway(props: { caFingerprint: string | undefined }) {
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

export function CertificatesView() {
  const certificate = useHomegate((state) => state.certificate);
  const load = useHomegate((state) => state.certificateLoad);
  const loadCertificate = useHomegate((state) => state.loadCertificate);

  useEffect(() => {
    void loadCertificate();
  }, [loadCertificate]);

  let content;
  if (!certificate && load.phase === 'error') {
    content = (
      <section className="card">
        <ErrorState title="Could not read the certificate" error={load.error} onRetry={() => void loadCertificate()} />
      </section>
    );
  } else if (!certificate) {
    content = (
      <section className="card">
        <LoadingState label="Reading the certificate…" />
      </section>
    );
  } else {
    content = (
      <>
        <CurrentCertificate certificate={certificate} />
        <TrustTheGateway caFingerprint={certificate.caFingerprintSha256} />
        <ImportCertificate />
      </>
    );
  }
  return (
    <>
      <PageHeader
        title="Certificates"
        description="The HTTPS certificate clients see when they connect, and how to make them trust it."
      />
      {content}
    </>
  );
}
