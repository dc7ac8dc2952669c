import type { CallInput } from '../../../../shared/ipc/contract.ts';
import type { CertificateInfo, ExportedFile } from '../../../../shared/model/ui.ts';
import { IDLE, loader, READY, type Loadable, type SliceCreator } from '../slice.ts';

export type CertificateImport = CallInput<'certs.import'>;

/** Below this many days a certificate is shown with a warning. */
export const CERT_WARNING_DAYS = 30;

export interface CertificatesSlice {
  readonly certificate: CertificateInfo | undefined;
  readonly certificateLoad: Loadable;
  readonly loadCertificate: () => Promise<void>;
  readonly regenerateCertificate: () => Promise<CertificateInfo>;
  readonly importCertificate: (request: CertificateImport) => Promise<CertificateInfo>;
  readonly exportCa: (format: CallInput<'certs.exportCa'>['format']) => Promise<ExportedFile>;
}

export const createCertificatesSlice: SliceCreator<CertificatesSlice> = (set, get, api) => ({
  certificate: undefined,
  certificateLoad: IDLE,
  loadCertificate: loader(set, get, 'certificateLoad', async () => ({
    certificate: await api['certs.info'](undefined),
  })),
  async regenerateCertificate() {
    const certificate = await api['certs.regenerate'](undefined);
    set({ certificate, certificateLoad: READY });
    void get().loadStatus();
    return certificate;
  },
  async importCertificate(request) {
    const certificate = await api['certs.import'](request);
    set({ certificate, certificateLoad: READY });
    void get().loadStatus();
    return certificate;
  },
  exportCa(format) {
    return api['certs.exportCa']({ format });
  },
});
