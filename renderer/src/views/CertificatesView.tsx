import { useEffect } from 'react';
import { PageHeader } from '../components/PageHeader.tsx';
import { ErrorState, LoadingState } from '../components/States.tsx';
import { useHomegate } from '../store/context.tsx';
import { CurrentCertificate } from './certificates/CurrentCertificate.tsx';
import { ImportCertificate } from './certificates/ImportCertificate.tsx';
import { TrustTheGateway } from './certificates/TrustTheGateway.tsx';

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
