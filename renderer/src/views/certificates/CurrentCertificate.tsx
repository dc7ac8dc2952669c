import { useState } from 'react';
import type { CertificateInfo } from '../../../../shared/model/ui.ts';
import { ConfirmDialog } from '../../components/Dialog.tsx';
import { Icon } from '../../components/Icon.tsx';
import { daysUntil, formatDateTime } from '../../format.ts';
import { useNow } from '../../hooks/useNow.ts';
import { useHomegate } from '../../store/context.tsx';
import { CERT_WARNING_DAYS } from '../../store/slices/certificates.ts';
import { Fingerprint } from './Fingerprint.tsx';

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

function CertificateDetails(props: { certificate: CertificateInfo; days: number }) {
  const { certificate, days } = props;
  const names = [...certificate.dnsNames, ...certificate.ipAddresses];
  return (
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
  );
}

function RegenerateDialog(props: { source: CertificateInfo['source']; onClose: () => void }) {
  const regenerate = useHomegate((state) => state.regenerateCertificate);
  const notify = useHomegate((state) => state.notify);
  return (
    <ConfirmDialog
      title="Issue a new certificate?"
      confirmLabel="Regenerate"
      onClose={props.onClose}
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
        {props.source === 'imported' ? ' The imported certificate stays in use.' : ''}
      </p>
    </ConfirmDialog>
  );
}

export function CurrentCertificate(props: { certificate: CertificateInfo }) {
  const { certificate } = props;
  const now = useNow(60_000);
  const [confirming, setConfirming] = useState(false);
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
      <CertificateDetails certificate={certificate} days={daysUntil(certificate.notAfter, now)} />
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
      {confirming ? <RegenerateDialog source={certificate.source} onClose={() => setConfirming(false)} /> : null}
    </section>
  );
}
