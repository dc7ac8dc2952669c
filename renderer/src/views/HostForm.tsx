import { useState } from 'react';
import { DEFAULT_RDP_PORT, HostSchema, portProblem, readHostAndPort, type Host } from '../../../shared/model/hosts.ts';
import { ApiError, errorMessage } from '../api/errors.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Field, fieldErrors } from '../components/Field.tsx';

interface Draft {
  name: string;
  address: string;
  port: string;
  mac: string;
}

const NO_PORT = -1;

/**
 * The address as typed may carry a port (`192.168.1.30:3390`, `[::1]:3390`): read with the shared rules, which then
 * win over the Port field. Field errors use the same rules as the contract and the CLI.
 */
function read(draft: Draft): {
  host: unknown;
  errors: Record<string, string>;
  split?: { address: string; port: string };
} {
  const portText = draft.port.trim();
  // No default port: a port in the result came from the text.
  const address = readHostAndPort(draft.address, NO_PORT);
  const carriesPort = address.ok && address.port !== NO_PORT;
  const errors: Record<string, string> = {};
  if (!address.ok) errors.address = address.field === 'port' ? `after the colon: ${address.problem}` : address.problem;
  const portError = carriesPort ? undefined : portProblem(portText);
  if (portError) errors.port = portError;
  const host = {
    name: draft.name.trim(),
    address: address.ok ? address.host : draft.address.trim(),
    port: carriesPort && address.ok ? address.port : Number(portText),
    ...(draft.mac.trim() === '' ? {} : { mac: draft.mac.trim() }),
  };
  const parsed = HostSchema.safeParse(host);
  if (!parsed.success) {
    for (const [key, message] of Object.entries(fieldErrors(parsed.error.issues))) errors[key] ??= message;
  }
  return {
    host,
    errors,
    ...(carriesPort && address.ok ? { split: { address: address.host, port: String(address.port) } } : {}),
  };
}

/** Add or edit an allowed host; validated with the shared HostSchema as the user goes. */
export function HostForm(props: {
  host: Host | undefined;
  onSave: (host: Host) => Promise<void>;
  onClose: () => void;
}) {
  const editing = props.host !== undefined;
  const [draft, setDraft] = useState<Draft>(() => ({
    name: props.host?.name ?? '',
    address: props.host?.address ?? '',
    port: String(props.host?.port ?? DEFAULT_RDP_PORT),
    mac: props.host?.mac ?? '',
  }));
  const [touched, setTouched] = useState<ReadonlySet<keyof Draft>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState<{ field: keyof Draft | undefined; message: string }>();
  const [busy, setBusy] = useState(false);

  const { errors } = read(draft);
  const shown = (field: keyof Draft): string | undefined =>
    (submitted || touched.has(field) ? errors[field] : undefined) ??
    (serverError?.field === field ? serverError.message : undefined);

  const update = (field: keyof Draft, value: string): void => {
    setDraft((current) => ({ ...current, [field]: value }));
    if (serverError?.field === field) setServerError(undefined);
  };
  const blur = (field: keyof Draft): void => {
    setTouched((current) => new Set(current).add(field));
    // "192.168.1.20:3390" typed into the address: split it into address and port as the field is left.
    const { split } = read(draft);
    if (field === 'address' && split) setDraft((current) => ({ ...current, ...split }));
  };

  const submit = async (): Promise<void> => {
    setSubmitted(true);
    setServerError(undefined);
    // Enter in the address field submits without leaving it: split HOST:PORT here too.
    const { host, split, errors: found } = read(draft);
    if (split) setDraft((current) => ({ ...current, ...split }));
    const parsed = HostSchema.safeParse(host);
    if (!parsed.success || Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await props.onSave(parsed.data);
      props.onClose();
    } catch (error) {
      const onName = error instanceof ApiError && error.code === 'conflict';
      setServerError({ field: onName ? 'name' : undefined, message: errorMessage(error) });
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={editing ? `Edit ${props.host?.name ?? 'host'}` : 'Add a host'}
      onClose={props.onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save host' : 'Add host'}
          </button>
        </>
      }
    >
      <div className="form-grid">
        <Field
          label="Name"
          error={shown('name')}
          hint="What tokens and .rdp files call it, such as desktop or nas."
          className="span-2"
        >
          {(control) => (
            <input
              {...control}
              className="input"
              value={draft.name}
              autoComplete="off"
              spellCheck={false}
              onChange={(event) => update('name', event.target.value)}
              onBlur={() => blur('name')}
            />
          )}
        </Field>
        <Field
          label="Address"
          error={shown('address')}
          hint="A host name or IP address, as the gateway machine sees it."
        >
          {(control) => (
            <input
              {...control}
              className="input mono"
              value={draft.address}
              autoComplete="off"
              spellCheck={false}
              placeholder="192.168.1.20"
              onChange={(event) => update('address', event.target.value)}
              onBlur={() => blur('address')}
            />
          )}
        </Field>
        <Field label="Port" error={shown('port')} hint="3389 unless the host was changed.">
          {(control) => (
            <input
              {...control}
              className="input mono"
              inputMode="numeric"
              value={draft.port}
              onChange={(event) => update('port', event.target.value)}
              onBlur={() => blur('port')}
            />
          )}
        </Field>
        <Field
          label="MAC address for Wake-on-LAN"
          optional
          error={shown('mac')}
          hint="If set, the gateway sends a magic packet and waits for the host to wake before connecting."
          className="span-2"
        >
          {(control) => (
            <input
              {...control}
              className="input mono"
              value={draft.mac}
              autoComplete="off"
              spellCheck={false}
              placeholder="00:11:22:33:44:55"
              onChange={(event) => update('mac', event.target.value)}
              onBlur={() => blur('mac')}
            />
          )}
        </Field>
      </div>
      {serverError && serverError.field === undefined ? (
        <p className="form-error" role="alert">
          {serverError.message}
        </p>
      ) : null}
    </Dialog>
  );
}
