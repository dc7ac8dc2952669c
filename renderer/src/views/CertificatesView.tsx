import { useEffect } from 'react';
import { PageHeader } from '../components/PageHeader.tsx';
import { Loaded } from '../components/States.tsx';
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

  return (
    <>
      <PageHeader
        title="Certificates"
        description="The HTTPS certificate clients see when they connect, and how to make them trust it."
      />
      <Loaded
        load={load}
        none={!certificate}
        loadingLabel="Reading the certificate…"
        errorTitle="Could not read the certificate"
        onRetry={() => void loadCertificate()}
        card
      >
        {certificate ? (
          <>
            <CurrentCertificate certificate={certificate} />
            <TrustTheGateway caFingerprint={certificate.caFingerprintSha256} />
            <ImportCertificate />
          </>
        ) : null}
      </Loaded>
    </>
  );
}
