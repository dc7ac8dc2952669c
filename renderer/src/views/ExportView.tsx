import { useEffect, useState } from 'react';
import { contract, defaultRdpOptions, type RdpOptions } from '../../../shared/ipc/contract.ts';
import type { ExportedFile } from '../../../shared/model/ui.ts';
import { errorMessage } from '../api/errors.ts';
import { CheckField, Field, fieldErrors } from '../components/Field.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, LoadingState } from '../components/States.tsx';
import { saveExportedFile } from '../files.ts';
import { formatTime } from '../format.ts';
import { lifetimeOptions, SHORT_LIFETIMES_SECONDS } from '../lifetimes.ts';
import { useHomegate } from '../store/context.tsx';

type Mode = 'gateway' | 'relay';

function RadioCard(props: {
  name: string;
  checked: boolean;
  disabled?: boolean;
  title: string;
  text: string;
  onSelect: () => void;
}) {
  const classes = ['choice', props.checked ? 'choice-selected' : '', props.disabled ? 'choice-disabled' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <label className={classes}>
      <input
        type="radio"
        name={props.name}
        checked={props.checked}
        disabled={props.disabled}
        onChange={props.onSelect}
      />
      <span className="choice-title">{props.title}</span>
      <span className="choice-text">{props.text}</span>
    </label>
  );
}

function ExportForm() {
  const hosts = useHomegate((state) => state.hosts);
  const focusHost = useHomegate((state) => state.focusHost);
  const defaultTtl = useHomegate((state) => state.settings?.paaTtlSeconds);
  const relayListening = useHomegate((state) => state.status?.relayListening ?? undefined);
  const publicAddress = useHomegate((state) => state.status?.publicAddress);
  const exportRdp = useHomegate((state) => state.exportRdp);
  const openAddHost = useHomegate((state) => state.openAddHost);
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
  const errors = submitted && !parsed.success ? fieldErrors(parsed.error.issues) : {};
  const usernameError =
    submitted && !parsed.success
      ? parsed.error.issues.find((issue) => issue.path[1] === 'username')
        ? 'no control characters, 256 characters at most'
        : undefined
      : undefined;
  const setOption = <K extends keyof RdpOptions>(key: K, value: RdpOptions[K]): void =>
    setOptions((current) => ({ ...current, [key]: value }));

  if (hosts.length === 0) {
    return (
      <section className="card">
        <EmptyState
          icon="hosts"
          title="Add a host first"
          action={
            <button type="button" className="btn btn-primary" onClick={openAddHost}>
              Go to Hosts
            </button>
          }
        >
          An .rdp file opens one of the hosts the gateway allows.
        </EmptyState>
      </section>
    );
  }

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
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="export-form"
      noValidate
      aria-label="Export an .rdp file"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <section className="card" aria-labelledby="export-connection">
        <h2 className="card-title" id="export-connection">
          Connection
        </h2>
        <div className="form-grid">
          <Field label="Host" error={errors.host}>
            {(control) => (
              <select
                {...control}
                className="input"
                value={chosenHost}
                onChange={(event) => setHost(event.target.value)}
              >
                {hosts.map((h) => (
                  <option key={h.name} value={h.name}>
                    {h.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Token valid for"
            error={errors.ttlSeconds}
            hint="The file carries its own token: anyone holding the file can connect until then."
          >
            {(control) => (
              <select
                {...control}
                className="input"
                value={ttlSeconds}
                onChange={(event) => setTtl(Number(event.target.value))}
              >
                {lifetimeOptions(SHORT_LIFETIMES_SECONDS, defaultTtl).map((option) => (
                  <option key={option.seconds} value={option.seconds}>
                    {option.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <fieldset className="choice-group">
          <legend className="field-label">How the client connects</legend>
          <RadioCard
            name="mode"
            checked={mode === 'gateway'}
            onSelect={() => setMode('gateway')}
            title="Through the gateway (HTTPS)"
            text={`For MSTSC, the Windows App on every platform, FreeRDP and Remmina. Uses only the HTTPS port${
              publicAddress ? ` (${publicAddress})` : ''
            }.`}
          />
          <RadioCard
            name="mode"
            checked={mode === 'relay'}
            disabled={!relayListening}
            onSelect={() => setMode('relay')}
            title="Direct TCP relay"
            text={
              relayListening
                ? 'For clients that send a preconnection blob (FreeRDP, Remote Desktop Manager). Needs the relay port reachable.'
                : 'Off: the relay is not listening. Start the gateway with --relay-listen to use it.'
            }
          />
        </fieldset>
      </section>

      <section className="card" aria-labelledby="export-display">
        <h2 className="card-title" id="export-display">
          Display and devices
        </h2>
        <div className="form-grid">
          <fieldset className="segmented-field">
            <legend className="field-label">Screen</legend>
            <div className="segmented">
              <label className={options.screenMode === 'fullscreen' ? 'segment segment-selected' : 'segment'}>
                <input
                  type="radio"
                  name="screenMode"
                  checked={options.screenMode === 'fullscreen'}
                  onChange={() => setOption('screenMode', 'fullscreen')}
                />
                Full screen
              </label>
              <label className={options.screenMode === 'window' ? 'segment segment-selected' : 'segment'}>
                <input
                  type="radio"
                  name="screenMode"
                  checked={options.screenMode === 'window'}
                  onChange={() => setOption('screenMode', 'window')}
                />
                Window
              </label>
            </div>
          </fieldset>
          <Field label="Sound">
            {(control) => (
              <select
                {...control}
                className="input"
                value={options.audio}
                onChange={(event) => setOption('audio', event.target.value as RdpOptions['audio'])}
              >
                <option value="local">Play on this device</option>
                <option value="remote">Play on the remote computer</option>
                <option value="off">Do not play</option>
              </select>
            )}
          </Field>
        </div>
        <div className="check-list">
          <CheckField
            label="Use all monitors"
            hint="Spans the session across every screen of the client."
            checked={options.multiMonitor}
            onChange={(checked) => setOption('multiMonitor', checked)}
          />
          <CheckField
            label="Share the clipboard"
            hint="Copy and paste between the client and the host."
            checked={options.clipboard}
            onChange={(checked) => setOption('clipboard', checked)}
          />
          <CheckField
            label="Share local drives"
            hint="The host can read and write the client's drives. Leave off unless you need it."
            checked={options.drives}
            onChange={(checked) => setOption('drives', checked)}
          />
        </div>
        <Field
          label="User name"
          optional
          error={usernameError}
          hint="Filled in at the client's sign-in prompt. No password is ever stored in the file."
        >
          {(control) => (
            <input
              {...control}
              className="input"
              value={username}
              autoComplete="off"
              spellCheck={false}
              placeholder={'DESKTOP\\sam'}
              onChange={(event) => setUsername(event.target.value)}
            />
          )}
        </Field>
      </section>

      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {saved ? (
        <div className="callout callout-success" role="status">
          <Icon name="check" />
          <p>
            Saved <strong>{saved.file.fileName}</strong>. Its token works until about{' '}
            {formatTime(new Date(saved.expiresAt).toISOString())}; export a fresh file after that.
          </p>
        </div>
      ) : null}
      <div className="form-actions sticky-actions">
        <button type="submit" className="btn btn-primary btn-lg" disabled={busy}>
          <Icon name="export" /> {busy ? 'Preparing…' : 'Download .rdp file'}
        </button>
        <p className="muted">
          Clients must trust the gateway's certificate: see <a href="#certificates">Certificates</a>.
        </p>
      </div>
    </form>
  );
}

export function ExportView() {
  const loadHosts = useHomegate((state) => state.loadHosts);
  const loadSettings = useHomegate((state) => state.loadSettings);
  const hostsLoad = useHomegate((state) => state.hostsLoad);
  const hostCount = useHomegate((state) => state.hosts.length);

  useEffect(() => {
    void loadHosts();
    void loadSettings();
  }, [loadHosts, loadSettings]);

  let content;
  if (hostsLoad.phase === 'error' && hostCount === 0) {
    content = (
      <section className="card">
        <ErrorState title="Could not load the hosts" error={hostsLoad.error} onRetry={() => void loadHosts()} />
      </section>
    );
  } else if (hostsLoad.phase !== 'ready' && hostCount === 0) {
    content = (
      <section className="card">
        <LoadingState label="Loading hosts…" />
      </section>
    );
  } else {
    content = <ExportForm />;
  }

  return (
    <>
      <PageHeader
        title="Export"
        description="Make an .rdp file that opens a host through the gateway in the client you already have — double-click and connect."
      />
      {content}
    </>
  );
}
