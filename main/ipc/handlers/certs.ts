import type { CertificateInfo } from '../../../shared/model/ui.ts';
import { caDownload } from '../../certs/ca-downloads.ts';
import { prepareImport, type ImportSource } from '../../certs/certificate-import.ts';
import { loadOrCreateCertificates, storeImportedCertificate, type TlsMaterial } from '../../certs/certificate-store.ts';
import { CertificateImportError, CertificateStoreBusyError } from '../../certs/errors.ts';
import { dataPaths } from '../../config/data-dir.ts';
import { ContractCallError, actor, type CallHandlers, type HandlerDeps } from '../dispatch.ts';

type CertificateCalls = 'certs.info' | 'certs.regenerate' | 'certs.import' | 'certs.exportCa';

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** What the UI shows of the served certificate: public facts only, never the key. */
export function certificateInfo(material: TlsMaterial): CertificateInfo {
  return {
    source: material.source,
    subject: material.subject,
    issuer: material.issuer,
    dnsNames: [...material.dnsNames],
    ipAddresses: [...material.ipAddresses],
    fingerprintSha256: material.fingerprintSha256,
    caFingerprintSha256: material.caFingerprintSha256,
    notAfter: material.notAfter.toISOString(),
  };
}

export function certificateHandlers({ service, logger }: HandlerDeps): Pick<CallHandlers, CertificateCalls> {
  const { settings, secretCodec, dataDir } = service.context;
  const tlsDir = dataPaths(dataDir).tls;
  const codec = secretCodec ? { secretCodec } : {};

  /** Runs a change of the certificate folder, then has the listener pick it up before answering. */
  async function changeCertificate(change: () => Promise<unknown>): Promise<CertificateInfo> {
    try {
      await change();
    } catch (error) {
      if (error instanceof CertificateImportError) throw new ContractCallError('invalid-input', error.message);
      if (error instanceof CertificateStoreBusyError) throw new ContractCallError('conflict', error.message);
      throw error;
    }
    return certificateInfo(await service.certificates.reload('files-changed'));
  }

  return {
    'certs.info': () => Promise.resolve(certificateInfo(service.tls)),
    'certs.regenerate': async (_input, context) => {
      const info = await changeCertificate(() =>
        loadOrCreateCertificates(tlsDir, {
          publicNames: settings.get().publicNames,
          keyType: settings.get().tls.keyType,
          logger,
          regenerate: true,
          ...codec,
        }),
      );
      service.audit.record({
        event: 'certificate.regenerated',
        fingerprintSha256: info.fingerprintSha256,
        ...actor(context),
      });
      return info;
    },
    'certs.import': async (input, context) => {
      let source: ImportSource;
      if ('pfxBase64' in input) {
        if (!BASE64.test(input.pfxBase64)) throw new ContractCallError('invalid-input', 'pfxBase64: not base64');
        const file = { name: 'the PFX file', data: Buffer.from(input.pfxBase64, 'base64') };
        source = { kind: 'pfx', file, passphrase: input.passphrase };
      } else {
        source = {
          kind: 'pem',
          cert: { name: 'the certificate', data: Buffer.from(input.certPem, 'utf8') },
          key: { name: 'the private key', data: Buffer.from(input.keyPem, 'utf8') },
        };
      }
      const info = await changeCertificate(async () => {
        const prepared = prepareImport(source, { publicNames: settings.get().publicNames, now: new Date() });
        await storeImportedCertificate(tlsDir, prepared, { logger, ...codec });
      });
      service.audit.record({
        event: 'certificate.imported',
        subject: info.subject,
        fingerprintSha256: info.fingerprintSha256,
        ...actor(context),
      });
      return info;
    },
    'certs.exportCa': ({ format }) => Promise.resolve(caDownload(service.tls.caCertPem, format)),
  };
}
