import { useState } from 'react';
import { DEFAULT_RDP_PORT, HostSchema, portProblem, readHostAndPort, type Host } from '../../../shared/model/hosts.ts';
import { ApiError, errorMessage } from '../api/errors.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Field, fieldErrors } from '../components/Field.tsx';
import { FormError } from '../components/FormError.tsx';

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

type ServerError = { field: keyof Draft | undefined; message: string };

/** The draft, what has been touched and the server's answer; field errors shown once touched or submitted. */
function useHostDraft(props: { host: Host | undefined; onSave: (host: Host) => Promise<void>; onClose: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => ({
    name: props.host?.name ?? '',
    address: props.host?.address ?? '',
    port: String(props.host?.port ?? DEFAULT_RDP_PORT),
    mac: props.host?.mac ?? '',
  }));
  const [touched, setTouched] = useState<ReadonlySet<keyof Draft>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState<ServerError>();
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
  return { draft, shown, update, blur, submit, busy, serverError };
}

type HostDraft = ReturnType<typeof useHostDraft>;

/** One field of the draft: free text (no autocomplete or spelling) unless `numeric`. */
function DraftField(props: {
  form: HostDraft;
  field: keyof Draft;
  label: string;
  hint: string;
  mono?: boolean;
  numeric?: boolean;
  optional?: boolean;
  placeholder?: string;
  className?: string;
}) {
  const { form, field } = props;
  const text = props.numeric ? { inputMode: 'numeric' as const } : { autoComplete: 'off', spellCheck: false };
  return (
    <Field
      label={props.label}
      optional={props.optional}
      error={form.shown(field)}
      hint={props.hint}
      className={props.className}
    >
      {(control) => (
        <input
          {...control}
          className={props.mono ? 'input mono' : 'input'}
          value={form.draft[field]}
          {...text}
          placeholder={props.placeholder}
          onChange={(event) => form.update(field, event.target.value)}
          onBlur={() => form.blur(field)}
        />
      )}
    </Field>
  );
}

/** Add or edit an allowed host; validated with the shared HostSchema as the user goes. */
export function HostForm(props: {
  host: Host | undefined;
  onSave: (host: Host) => Promise<void>;
  onClose: () => void;
}) {
  const editing = props.host !== undefined;
  const form = useHostDraft(props);
  const { busy, serverError } = form;
  return (
    <Dialog
      title={editing ? `Edit ${props.host?.name ?? 'host'}` : 'Add a host'}
      onClose={props.onClose}
      onSubmit={() => void form.submit()}
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
        <DraftField
          form={form}
          field="name"
          label="Name"
          hint="What tokens and .rdp files call it, such as desktop or nas."
          className="span-2"
        />
        <DraftField
          form={form}
          field="address"
          label="Address"
          hint="A host name or IP address, as the gateway machine sees it."
          mono
          placeholder="192.168.1.20"
        />
        <DraftField form={form} field="port" label="Port" hint="3389 unless the host was changed." mono numeric />
        <DraftField
          form={form}
          field="mac"
          label="MAC address for Wake-on-LAN"
          optional
          hint="If set, the gateway sends a magic packet and waits for the host to wake before connecting."
          mono
          placeholder="00:11:22:33:44:55"
          className="span-2"
        />
      </div>
      <FormError error={serverError?.field === undefined ? serverError?.message : undefined} />
    </Dialog>
  );
}
