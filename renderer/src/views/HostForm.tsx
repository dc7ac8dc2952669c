import { useState } from 'react';
import { DEFAULT_RDP_PORT, HostSchema, parseHostAndPort, type Host } from '../../../shared/model/hosts.ts';
import { ApiError, errorMessage } from '../api/errors.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Field, fieldErrors } from '../components/Field.tsx';

interface Draft {
  name: string;
  address: string;
  port: string;
  mac: string;
}

function toHost(draft: Draft): unknown {
  return {
    name: draft.name.trim(),
    address: draft.address.trim(),
    port: draft.port.trim() === '' ? Number.NaN : Number(draft.port),
    ...(draft.mac.trim() === '' ? {} : { mac: draft.mac.trim() }),
  };
}

function validate(draft: Draft): Record<string, string> {
  const parsed = HostSchema.safeParse(toHost(draft));
  if (parsed.success) return {};
  const errors = fieldErrors(parsed.error.issues);
  if (errors.port) errors.port = 'use a port from 1 to 65535';
  return errors;
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

  const errors = validate(draft);
  const shown = (field: keyof Draft): string | undefined =>
    (submitted || touched.has(field) ? errors[field] : undefined) ??
    (serverError?.field === field ? serverError.message : undefined);

  const update = (field: keyof Draft, value: string): void => {
    setDraft((current) => ({ ...current, [field]: value }));
    if (serverError?.field === field) setServerError(undefined);
  };
  const blur = (field: keyof Draft): void => {
    setTouched((current) => new Set(current).add(field));
    // "192.168.1.20:3390" typed into the address: split it into address and port.
    if (field === 'address' && /:\d+$/.test(draft.address.trim())) {
      const parsed = parseHostAndPort(draft.address, Number(draft.port) || DEFAULT_RDP_PORT);
      if (parsed) setDraft((current) => ({ ...current, address: parsed.host, port: String(parsed.port) }));
    }
  };

  const submit = async (): Promise<void> => {
    setSubmitted(true);
    setServerError(undefined);
    const parsed = HostSchema.safeParse(toHost(draft));
    if (!parsed.success) return;
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
