import { useState } from 'react';
import { contract } from '../../../../shared/ipc/contract.ts';
import { errorMessage } from '../../api/errors.ts';
import { explainImportError, type ImportField } from '../../cert-errors.ts';
import { readFileBase64, readFileText } from '../../files.ts';
import { useFocusInvalid } from '../../hooks/useFocusInvalid.ts';
import { useHomegate } from '../../store/context.tsx';

export type ImportFormat = 'pem' | 'pfx';

/** Each problem next to the field it is about; switching format clears them (they were about the other files). */
function useImportErrors() {
  const [errors, setErrors] = useState<Partial<Record<ImportField, string>>>({});
  const setError = (field: ImportField, text: string | undefined): void =>
    setErrors(text === undefined ? {} : { [field]: text });
  const clearError = (field: ImportField): void =>
    setErrors((current) => (current[field] === undefined && current.form === undefined ? current : {}));
  return { errors, setErrors, setError, clearError };
}

/** What is imported: the PEM texts, or the PKCS#12 file and its passphrase. */
function useImportFiles() {
  const [certPem, setCertPem] = useState('');
  const [keyPem, setKeyPem] = useState('');
  const [pfx, setPfx] = useState<{ name: string; base64: string } | undefined>(undefined);
  const [passphrase, setPassphrase] = useState('');
  return {
    certPem,
    setCertPem,
    keyPem,
    setKeyPem,
    pfx,
    setPfx,
    passphrase,
    setPassphrase,
    request: (format: ImportFormat) =>
      format === 'pem'
        ? { certPem: certPem.trim(), keyPem: keyPem.trim() }
        : { pfxBase64: pfx?.base64 ?? '', passphrase },
    reset: (): void => {
      setCertPem('');
      setKeyPem('');
      setPfx(undefined);
      setPassphrase('');
    },
  };
}

/** The import form's files and passphrase, each problem next to its field, and the submit that imports them. */
export function useImportForm() {
  const importCertificate = useHomegate((state) => state.importCertificate);
  const notify = useHomegate((state) => state.notify);
  const [format, setFormat] = useState<ImportFormat>('pem');
  const files = useImportFiles();
  const [busy, setBusy] = useState(false);
  const { errors, setErrors, setError, clearError } = useImportErrors();
  const choose = (next: ImportFormat): void => {
    setFormat(next);
    setErrors({});
  };
  const { ref, attempted } = useFocusInvalid<HTMLFormElement>();

  const pick = (field: ImportField, apply: (text: string) => void) => (file: File) => {
    readFileText(file).then(
      (text) => {
        apply(text);
        clearError(field);
      },
      (caught: unknown) => setError(field, `This file could not be read: ${errorMessage(caught)}`),
    );
  };
  const pickPfx = (file: File): void =>
    void readFileBase64(file).then(
      (base64) => {
        files.setPfx({ name: file.name, base64 });
        clearError('pfx');
      },
      (caught: unknown) => setError('pfx', `This file could not be read: ${errorMessage(caught)}`),
    );

  const submit = async (): Promise<void> => {
    setErrors({});
    const parsed = contract.calls['certs.import'].input.safeParse(files.request(format));
    if (!parsed.success) {
      if (format === 'pfx') setErrors({ pfx: 'Choose the .pfx file first.' });
      else if (files.certPem.trim() === '') setErrors({ certPem: 'Paste the certificate, or choose its file.' });
      else setErrors({ keyPem: 'Paste the private key, or choose its file.' });
      attempted();
      return;
    }
    setBusy(true);
    try {
      const certificate = await importCertificate(parsed.data);
      notify('success', `Now serving the imported certificate for ${certificate.subject}.`);
      files.reset();
    } catch (caught) {
      const problem = explainImportError(errorMessage(caught), format);
      setError(problem.field, problem.text);
      attempted();
    } finally {
      setBusy(false);
    }
  };

  return {
    ref,
    format,
    choose,
    ...files,
    pickPfx,
    busy,
    errors,
    clearError,
    pick,
    submit,
  };
}

export type ImportForm = ReturnType<typeof useImportForm>;
