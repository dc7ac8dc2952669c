import { useState } from 'react';
import { contract } from '../../../../shared/ipc/contract.ts';
import { errorMessage } from '../../api/errors.ts';
import { fieldErrors } from '../../components/Field.tsx';
import { useHomegate } from '../../store/context.tsx';
import type { IssueResult } from '../../store/slices/tokens.ts';

export type Kind = 'short' | 'device';

/** The Issue form's state, its validation against the contract, and its submit (which keeps the issued token). */
export function useIssueForm() {
  const hosts = useHomegate((state) => state.hosts);
  const focusHost = useHomegate((state) => state.focusHost);
  const defaultTtl = useHomegate((state) => state.settings?.paaTtlSeconds);
  const issueToken = useHomegate((state) => state.issueToken);
  const [kind, setKind] = useState<Kind>('short');
  const [host, setHost] = useState(focusHost ?? '');
  const [shortTtl, setShortTtl] = useState<number | undefined>(undefined);
  const [deviceTtl, setDeviceTtl] = useState<number>(30 * 24 * 3600);
  const [label, setLabel] = useState('');
  const [device, setDevice] = useState('');
  const [singleUse, setSingleUse] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [result, setResult] = useState<IssueResult | undefined>(undefined);

  const chosenHost = host !== '' && hosts.some((h) => h.name === host) ? host : (hosts[0]?.name ?? '');
  const ttl = kind === 'short' ? (shortTtl ?? defaultTtl ?? 15 * 60) : deviceTtl;
  const request = {
    host: chosenHost,
    ttlSeconds: ttl,
    singleUse: kind === 'short' && singleUse,
    ...(kind === 'short' && label.trim() !== '' ? { label: label.trim() } : {}),
    ...(kind === 'device' ? { device: device.trim() } : {}),
  };
  const parsed = contract.calls['tokens.issue'].input.safeParse(request);
  const errors = submitted && !parsed.success ? fieldErrors(parsed.error.issues) : {};
  if (errors.device) errors.device = 'name the device, in 64 characters at most';

  const submit = async (): Promise<void> => {
    setSubmitted(true);
    setError(undefined);
    if (!parsed.success) return;
    setBusy(true);
    try {
      setResult(await issueToken(parsed.data));
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  };

  return {
    hosts,
    defaultTtl,
    kind,
    setKind,
    chosenHost,
    setHost,
    ttl,
    setTtl: (seconds: number) => (kind === 'short' ? setShortTtl(seconds) : setDeviceTtl(seconds)),
    label,
    setLabel,
    device,
    setDevice,
    singleUse,
    setSingleUse,
    errors,
    busy,
    error,
    result,
    submit,
  };
}

export type IssueForm = ReturnType<typeof useIssueForm>;
