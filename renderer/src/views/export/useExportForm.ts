import { useState } from 'react';
import { contract, defaultRdpOptions, type RdpOptions } from '../../../../shared/ipc/contract.ts';
import type { ExportedFile } from '../../../../shared/model/ui.ts';
import { errorMessage } from '../../api/errors.ts';
import { fieldErrors } from '../../components/Field.tsx';
import { saveExportedFile } from '../../files.ts';
import { useHomegate } from '../../store/context.tsx';

export type Mode = 'gateway' | 'relay';

/** The Export form's state, its validation against the contract, and its submit (which saves the file). */
export function useExportForm(onExported?: () => void) {
  const hosts = useHomegate((state) => state.hosts);
  const focusHost = useHomegate((state) => state.focusHost);
  const defaultTtl = useHomegate((state) => state.settings?.paaTtlSeconds);
  const exportRdp = useHomegate((state) => state.exportRdp);
  const [host, setHost] = useState(focusHost ?? '');
  const [mode, setMode] = useState<Mode>('gateway');
  const [ttl, setTtl] = useState<number | undefined>(undefined);
  const [options, setOptions] = useState<RdpOptions>(defaultRdpOptions);
  const [username, setUsername] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState<{ file: ExportedFile; expiresAt: number } | undefined>(undefined);

  const chosenHost = host !== '' && hosts.some((h) => h.name === host) ? host : (hosts[0]?.name ?? '');
  const ttlSeconds = ttl ?? defaultTtl ?? 15 * 60;
  const request = {
    host: chosenHost,
    mode,
    ttlSeconds,
    options: { ...options, ...(username.trim() === '' ? {} : { username: username.trim() }) },
  };
  const parsed = contract.calls['rdp.export'].input.safeParse(request);
  const invalid = submitted && !parsed.success ? parsed.error.issues : [];
  const errors = fieldErrors(invalid);
  const usernameError = invalid.some((issue) => issue.path[1] === 'username')
    ? 'no control characters, 256 characters at most'
    : undefined;
  const setOption = <K extends keyof RdpOptions>(key: K, value: RdpOptions[K]): void =>
    setOptions((current) => ({ ...current, [key]: value }));

  const submit = async (): Promise<void> => {
    setSubmitted(true);
    setError(undefined);
    setSaved(undefined);
    if (!parsed.success) return;
    setBusy(true);
    try {
      const file = await exportRdp(parsed.data);
      saveExportedFile(file);
      setSaved({ file, expiresAt: Date.now() + ttlSeconds * 1000 });
      setSubmitted(false);
      onExported?.();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return {
    hosts,
    defaultTtl,
    chosenHost,
    setHost,
    mode,
    setMode,
    ttlSeconds,
    setTtl,
    options,
    setOption,
    username,
    setUsername,
    errors,
    usernameError,
    busy,
    error,
    saved,
    submit,
  };
}

export type ExportFormState = ReturnType<typeof useExportForm>;
