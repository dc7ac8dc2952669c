import { useEffect, useState } from 'react';
import { EditableSettingsSchema, type EditableSettings } from '../../../shared/ipc/contract.ts';
import { isHostAddress } from '../../../shared/model/hosts.ts';
import { errorMessage } from '../api/errors.ts';
import { Field, fieldErrors } from '../components/Field.tsx';
import { Form } from '../components/Form.tsx';
import { FormError } from '../components/FormError.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { Loaded } from '../components/States.tsx';
import { drafts } from '../drafts.ts';
import { useFocusInvalid } from '../hooks/useFocusInvalid.ts';
import { useHomegate } from '../store/context.tsx';
import { ReopenSetup } from './setup/ReopenSetup.tsx';

/** What the form edits: numbers as typed, lifetimes in minutes (the contract stores seconds). */
interface Draft {
  publicNames: readonly string[];
  paaTtlMinutes: string;
  idleTimeoutMinutes: string;
  maxSessionMinutes: string;
  consentMessage: string;
  serviceMessage: string;
}

const MESSAGE_MAX = 1024;

function toDraft(settings: EditableSettings): Draft {
  return {
    publicNames: settings.publicNames,
    paaTtlMinutes: String(Math.round((settings.paaTtlSeconds / 60) * 100) / 100),
    idleTimeoutMinutes: String(settings.idleTimeoutMinutes),
    maxSessionMinutes: String(settings.maxSessionMinutes),
    consentMessage: settings.consentMessage,
    serviceMessage: settings.serviceMessage,
  };
}

/** Plain decimal digits only: `1e3`, `0x10`, `+5` and `1_000` are not minutes a person means. */
const toInteger = (text: string): number => (/^\d{1,7}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN);
/** The token lifetime may be a fraction of a minute (at least half of one), still in plain decimal. */
const toMinutes = (text: string): number =>
  /^\d{1,7}(\.\d{1,2})?$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;

function fromDraft(draft: Draft): unknown {
  return {
    publicNames: draft.publicNames,
    paaTtlSeconds: Math.round(toMinutes(draft.paaTtlMinutes) * 60),
    idleTimeoutMinutes: toInteger(draft.idleTimeoutMinutes),
    maxSessionMinutes: toInteger(draft.maxSessionMinutes),
    consentMessage: draft.consentMessage,
    serviceMessage: draft.serviceMessage,
  };
}

const FRIENDLY: Readonly<Record<string, string>> = {
  paaTtlSeconds: 'use half a minute to 1,440 minutes (a day), in plain digits such as 15 or 0.5',
  idleTimeoutMinutes: 'use 0 (never) to 10,080 minutes (a week), in whole minutes',
  maxSessionMinutes: 'use 0 (no limit) to 10,080 minutes (a week), in whole minutes',
  consentMessage: `${MESSAGE_MAX} characters at most`,
  serviceMessage: `${MESSAGE_MAX} characters at most`,
};

function validate(draft: Draft): Record<string, string> {
  const parsed = EditableSettingsSchema.safeParse(fromDraft(draft));
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const [key, message] of Object.entries(fieldErrors(parsed.error.issues))) {
      errors[key] = FRIENDLY[key] ?? message;
    }
  }
  const bad = draft.publicNames.find((name) => !isHostAddress(name));
  if (bad !== undefined) errors.publicNames = `“${bad}” is not a host name or IP address`;
  return errors;
}

function PublicNames(props: {
  names: readonly string[];
  error: string | undefined;
  onChange: (names: string[]) => void;
}) {
  const [entry, setEntry] = useState('');
  const [entryError, setEntryError] = useState<string | undefined>(undefined);
  const add = (): void => {
    const name = entry.trim().toLowerCase();
    if (name === '') return;
    if (!isHostAddress(name)) {
      setEntryError('not a host name or IP address (no port, no https://)');
      return;
    }
    if (props.names.includes(name)) {
      setEntryError('already listed');
      return;
    }
    props.onChange([...props.names, name]);
    setEntry('');
    setEntryError(undefined);
  };
  return (
    <Field
      label="Public names"
      error={entryError ?? props.error}
      hint="How clients reach this gateway from outside, such as home.example.net. The first one goes into exported .rdp files, and the local certificate covers them all."
    >
      {(control) => (
        <div className="stack-sm">
          {props.names.length > 0 ? (
            <ul className="chips" aria-label="Public names">
              {props.names.map((name, index) => (
                <li key={name} className="chip chip-removable mono">
                  {index === 0 ? <span className="chip-tag">.rdp</span> : null}
                  {name}
                  <button
                    type="button"
                    className="chip-remove"
                    aria-label={`Remove ${name}`}
                    onClick={() => props.onChange(props.names.filter((n) => n !== name))}
                  >
                    <Icon name="close" />
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted small">None yet: .rdp files name this machine's own address.</p>
          )}
          <div className="input-row">
            <input
              {...control}
              className="input mono"
              value={entry}
              placeholder="home.example.net"
              spellCheck={false}
              autoComplete="off"
              onChange={(event) => {
                setEntry(event.target.value);
                setEntryError(undefined);
              }}
              onKeyDown={(event) => {
                if (event.key === 'Enter') {
                  event.preventDefault();
                  add();
                }
              }}
            />
            <button type="button" className="btn" onClick={add}>
              <Icon name="plus" /> Add
            </button>
          </div>
        </div>
      )}
    </Field>
  );
}

function NumberField(props: {
  label: string;
  decimals?: boolean;
  value: string;
  error: string | undefined;
  hint: string;
  unit: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {(control) => (
        <div className="input-unit">
          <input
            {...control}
            className="input mono"
            inputMode={props.decimals ? 'decimal' : 'numeric'}
            value={props.value}
            onChange={(event) => props.onChange(event.target.value)}
          />
          <span className="unit" aria-hidden="true">
            {props.unit}
          </span>
        </div>
      )}
    </Field>
  );
}

function MessageField(props: {
  label: string;
  hint: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={props.label} optional error={props.error} hint={props.hint}>
      {(control) => (
        <div className="stack-xs">
          <textarea
            {...control}
            className="input"
            rows={3}
            value={props.value}
            onChange={(event) => props.onChange(event.target.value)}
          />
          <span className={props.value.length > MESSAGE_MAX ? 'counter counter-over' : 'counter'}>
            {props.value.length} / {MESSAGE_MAX}
          </span>
        </div>
      )}
    </Field>
  );
}

/** The key of the Settings edit among the kept drafts (./drafts.ts): the view's id. */
const DRAFT_KEY = 'settings';

/** The edit, kept among the drafts while unsaved and marked unsaved for the leave guard. */
function useSettingsDraft(settings: EditableSettings) {
  const saveSettings = useHomegate((state) => state.saveSettings);
  const notify = useHomegate((state) => state.notify);
  const setUnsaved = useHomegate((state) => state.setUnsaved);
  // An edit left unsaved when the session expired comes back after signing in again.
  const [restored] = useState(() => drafts.get<Draft>(DRAFT_KEY));
  const [draft, setDraft] = useState<Draft>(() => restored ?? toDraft(settings));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const { ref, attempted } = useFocusInvalid<HTMLFormElement>();
  const errors = validate(draft);
  const dirty = JSON.stringify(draft) !== JSON.stringify(toDraft(settings));
  const set = <K extends keyof Draft>(key: K, value: Draft[K]): void => setDraft((d) => ({ ...d, [key]: value }));

  useEffect(() => {
    if (dirty) drafts.set(DRAFT_KEY, draft);
    else drafts.delete(DRAFT_KEY);
    setUnsaved(dirty ? 'Settings' : undefined);
  }, [dirty, draft, setUnsaved]);
  useEffect(() => () => setUnsaved(undefined), [setUnsaved]);

  const submit = async (): Promise<void> => {
    setError(undefined);
    attempted();
    const parsed = EditableSettingsSchema.safeParse(fromDraft(draft));
    if (!parsed.success || Object.keys(errors).length > 0) return;
    setBusy(true);
    try {
      const saved = await saveSettings(parsed.data);
      drafts.delete(DRAFT_KEY);
      setDraft(toDraft(saved));
      notify('success', 'Settings saved.');
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  const discard = (): void => {
    drafts.delete(DRAFT_KEY);
    setDraft(toDraft(settings));
  };
  return { ref, restored, draft, errors, dirty, busy, error, set, submit, discard };
}

type SettingsDraft = ReturnType<typeof useSettingsDraft>;

/** The number fields of "Tokens and sessions": which draft entry each edits and which error is about it. */
const LIMITS = [
  {
    key: 'paaTtlMinutes',
    error: 'paaTtlSeconds',
    label: 'Default token lifetime',
    decimals: true,
    hint: 'For new tokens and .rdp files, unless chosen otherwise.',
  },
  {
    key: 'idleTimeoutMinutes',
    error: 'idleTimeoutMinutes',
    label: 'Idle timeout',
    decimals: false,
    hint: 'End a session after this long with no traffic; 0 never does.',
  },
  {
    key: 'maxSessionMinutes',
    error: 'maxSessionMinutes',
    label: 'Longest session',
    decimals: false,
    hint: 'End any session after this long; 0 means no limit.',
  },
] as const;

/** The messages clients are shown, each with its draft entry (its error has the same name). */
const MESSAGES = [
  {
    key: 'consentMessage',
    label: 'Consent message',
    hint: 'Shown before connecting; the user must accept it. Leave empty for none.',
  },
  {
    key: 'serviceMessage',
    label: 'Service message',
    hint: 'Shown after connecting by clients that display gateway messages.',
  },
] as const;

function LimitsSection(props: { form: SettingsDraft }) {
  const { draft, errors, set } = props.form;
  return (
    <section className="card" aria-labelledby="settings-limits">
      <h2 className="card-title" id="settings-limits">
        Tokens and sessions
      </h2>
      <div className="form-grid form-grid-3">
        {LIMITS.map((limit) => (
          <NumberField
            key={limit.key}
            label={limit.label}
            unit="min"
            decimals={limit.decimals}
            value={draft[limit.key]}
            error={errors[limit.error]}
            hint={limit.hint}
            onChange={(value) => set(limit.key, value)}
          />
        ))}
      </div>
    </section>
  );
}

function MessagesSection(props: { form: SettingsDraft }) {
  const { draft, errors, set } = props.form;
  return (
    <section className="card" aria-labelledby="settings-messages">
      <h2 className="card-title" id="settings-messages">
        Messages to clients
      </h2>
      <div className="form-grid">
        {MESSAGES.map((message) => (
          <MessageField
            key={message.key}
            label={message.label}
            hint={message.hint}
            value={draft[message.key]}
            error={errors[message.key]}
            onChange={(value) => set(message.key, value)}
          />
        ))}
      </div>
    </section>
  );
}

function SettingsForm(props: { settings: EditableSettings }) {
  const form = useSettingsDraft(props.settings);
  const { draft, errors, dirty, busy } = form;
  return (
    <Form ref={form.ref} className="settings-form" label="Settings" onSubmit={form.submit}>
      {form.restored && dirty ? (
        <p className="callout callout-info" role="status">
          Your unsaved changes were kept while you signed in again. Save them, or discard them.
        </p>
      ) : null}
      <section className="card" aria-labelledby="settings-reach">
        <h2 className="card-title" id="settings-reach">
          Reaching the gateway
        </h2>
        <PublicNames
          names={draft.publicNames}
          error={errors.publicNames}
          onChange={(names) => form.set('publicNames', names)}
        />
      </section>
      <LimitsSection form={form} />
      <MessagesSection form={form} />
      <FormError error={form.error} />
      <div className="form-actions sticky-actions">
        <button type="submit" className="btn btn-primary" disabled={!dirty || busy}>
          {busy ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" className="btn" disabled={!dirty || busy} onClick={form.discard}>
          Discard
        </button>
        {dirty ? <span className="muted">Unsaved changes</span> : null}
      </div>
    </Form>
  );
}

export function SettingsView() {
  const settings = useHomegate((state) => state.settings);
  const load = useHomegate((state) => state.settingsLoad);
  const loadSettings = useHomegate((state) => state.loadSettings);
  useEffect(() => {
    void loadSettings();
  }, [loadSettings]);

  return (
    <>
      <PageHeader
        title="Settings"
        description="How clients find the gateway, how long access lasts, and what clients are told. Changes apply at once."
      />
      <Loaded
        load={load}
        none={!settings}
        loadingLabel="Loading settings…"
        errorTitle="Could not load the settings"
        onRetry={() => void loadSettings()}
        card
      >
        {settings ? <SettingsForm key={JSON.stringify(settings)} settings={settings} /> : null}
      </Loaded>
      <ReopenSetup />
    </>
  );
}
