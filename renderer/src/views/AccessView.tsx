import { useEffect, useRef, useState } from 'react';
import { contract } from '../../../shared/ipc/contract.ts';
import type { IssuedToken } from '../../../shared/model/ui.ts';
import { errorMessage } from '../api/errors.ts';
import { ConfirmDialog, Dialog } from '../components/Dialog.tsx';
import { CheckField, Field, fieldErrors } from '../components/Field.tsx';
import { FormError } from '../components/FormError.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, LoadingState } from '../components/States.tsx';
import { copyText } from '../files.ts';
import { formatDateTime, formatRelative } from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { DEVICE_LIFETIMES_SECONDS, lifetimeOptions, SHORT_LIFETIMES_SECONDS } from '../lifetimes.ts';
import { useHomegate } from '../store/context.tsx';
import { tokenStatus, type IssueResult, type TokenStatus } from '../store/slices/tokens.ts';

type Kind = 'short' | 'device';

const STATUS_BADGES: Readonly<Record<TokenStatus, string>> = {
  active: 'badge-success',
  expired: 'badge-neutral',
  revoked: 'badge-danger',
};

const KIND_LABELS: Readonly<Record<IssuedToken['kind'], string>> = {
  paa: 'Short-lived',
  association: 'Relay',
  device: 'Device',
};

function NewToken(props: { result: IssueResult; onCopied: () => void }) {
  const [copied, setCopied] = useState<boolean | undefined>(undefined);
  const copyRef = useRef<HTMLButtonElement>(null);
  const { token, issued } = props.result;
  useEffect(() => copyRef.current?.focus(), []);
  return (
    <section className="callout callout-accent new-token" aria-labelledby="new-token-title">
      <div className="callout-head">
        <Icon name="access" />
        <h3 id="new-token-title">Copy the new token now</h3>
      </div>
      <p>
        This is the only time it is shown. It opens <strong>{issued.host}</strong> until{' '}
        {formatDateTime(issued.expiresAt)}
        {issued.singleUse ? ', for one connection' : ''}.
      </p>
      <label className="sr-only" htmlFor="new-token-value">
        Token
      </label>
      <textarea
        id="new-token-value"
        className="input mono token-value"
        readOnly
        rows={Math.min(8, Math.ceil(token.length / 64) + 1)}
        value={token}
        onFocus={(event) => event.target.select()}
        onCopy={props.onCopied}
      />
      <div className="callout-actions">
        <button
          ref={copyRef}
          id="new-token-copy"
          type="button"
          className="btn btn-primary"
          onClick={() =>
            void copyText(token).then((ok) => {
              setCopied(ok);
              if (ok) props.onCopied();
            })
          }
        >
          <Icon name={copied ? 'check' : 'copy'} /> {copied ? 'Copied' : 'Copy token'}
        </button>
        {copied === false ? (
          <span className="muted" role="status">
            The browser refused to copy; select the text and copy it by hand.
          </span>
        ) : null}
      </div>
    </section>
  );
}

/** Issuing in a dialog: the choice with its trade-off, then the token itself, shown once, in the same place. */
function IssueDialog(props: { onClose: () => void }) {
  const hosts = useHomegate((state) => state.hosts);
  const focusHost = useHomegate((state) => state.focusHost);
  const defaultTtl = useHomegate((state) => state.settings?.paaTtlSeconds);
  const issueToken = useHomegate((state) => state.issueToken);
  const openAddHost = useHomegate((state) => state.openAddHost);
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
  const [copied, setCopied] = useState(false);
  const [confirmingClose, setConfirmingClose] = useState(false);

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

  if (result) {
    // The token is shown once: closing before it was copied asks first (Escape included).
    const close = (): void => (copied ? props.onClose() : setConfirmingClose(true));
    const backToToken = (): void => {
      setConfirmingClose(false);
      setTimeout(() => document.getElementById('new-token-copy')?.focus(), 0);
    };
    return (
      <Dialog
        title="Token issued"
        wide
        onClose={close}
        footer={
          confirmingClose ? (
            <>
              <button type="button" className="btn" autoFocus onClick={backToToken}>
                Back to the token
              </button>
              <button type="button" className="btn btn-danger" onClick={props.onClose}>
                Close without copying
              </button>
            </>
          ) : (
            <button type="button" className="btn" onClick={close}>
              Done
            </button>
          )
        }
      >
        <NewToken result={result} onCopied={() => setCopied(true)} />
        {confirmingClose ? (
          <div className="callout callout-warning" role="alert">
            <Icon name="alert" />
            <p>
              <strong>The token has not been copied.</strong> It is shown only this once: after closing, it cannot be
              shown again, and you would issue a new one.
            </p>
          </div>
        ) : null}
      </Dialog>
    );
  }

  if (hosts.length === 0) {
    return (
      <Dialog
        title="Issue a token"
        onClose={props.onClose}
        footer={
          <button type="button" className="btn" onClick={props.onClose}>
            Close
          </button>
        }
      >
        <EmptyState
          icon="hosts"
          title="Add a host first"
          action={
            <button type="button" className="btn btn-primary" onClick={openAddHost}>
              Go to Hosts
            </button>
          }
        >
          A token names the host it opens.
        </EmptyState>
      </Dialog>
    );
  }

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

  return (
    <Dialog
      title="Issue a token"
      wide
      onClose={props.onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Issuing…' : 'Issue token'}
          </button>
        </>
      }
    >
      <fieldset className="choice-group">
        <legend className="field-label">Kind of token</legend>
        <label className={kind === 'short' ? 'choice choice-selected' : 'choice'}>
          <input type="radio" name="kind" checked={kind === 'short'} onChange={() => setKind('short')} />
          <span className="choice-title">Short-lived token</span>
          <span className="choice-text">
            Expires on its own after minutes or hours. Best for one connection or a file you send to yourself; it can be
            limited to a single use.
          </span>
        </label>
        <label className={kind === 'device' ? 'choice choice-selected' : 'choice'}>
          <input type="radio" name="kind" checked={kind === 'device'} onChange={() => setKind('device')} />
          <span className="choice-title">Per-device token</span>
          <span className="choice-text">
            Lasts weeks, so a connection saved on one laptop or phone keeps working. Anyone who copies it can connect
            until it expires — revoke it here the moment a device is lost.
          </span>
        </label>
      </fieldset>

      <div className="form-grid">
        <Field label="Host" error={errors.host}>
          {(control) => (
            <select {...control} className="input" value={chosenHost} onChange={(event) => setHost(event.target.value)}>
              {hosts.map((h) => (
                <option key={h.name} value={h.name}>
                  {h.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Valid for" error={errors.ttlSeconds}>
          {(control) => (
            <select
              {...control}
              className="input"
              value={ttl}
              onChange={(event) =>
                kind === 'short' ? setShortTtl(Number(event.target.value)) : setDeviceTtl(Number(event.target.value))
              }
            >
              {lifetimeOptions(
                kind === 'short' ? SHORT_LIFETIMES_SECONDS : DEVICE_LIFETIMES_SECONDS,
                kind === 'short' ? defaultTtl : undefined,
              ).map((option) => (
                <option key={option.seconds} value={option.seconds}>
                  {option.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {kind === 'short' ? (
          <Field label="Label" optional error={errors.label} hint="A note for the list, such as “hotel laptop”.">
            {(control) => (
              <input
                {...control}
                className="input"
                value={label}
                maxLength={64}
                onChange={(event) => setLabel(event.target.value)}
              />
            )}
          </Field>
        ) : (
          <Field label="Device" error={errors.device} hint="The device that keeps this token, such as “Sam’s iPad”.">
            {(control) => (
              <input
                {...control}
                className="input"
                value={device}
                maxLength={64}
                onChange={(event) => setDevice(event.target.value)}
              />
            )}
          </Field>
        )}
        {kind === 'short' ? (
          <div className="field field-check">
            <CheckField
              label="Single use"
              hint="The token opens one connection, then stops working."
              checked={singleUse}
              onChange={setSingleUse}
            />
          </div>
        ) : null}
      </div>
      <FormError error={error} />
    </Dialog>
  );
}

function TokenTable(props: { onRevoke: (token: IssuedToken) => void }) {
  const tokens = useHomegate((state) => state.tokens);
  const load = useHomegate((state) => state.tokensLoad);
  const loadTokens = useHomegate((state) => state.loadTokens);
  const [activeOnly, setActiveOnly] = useState(false);
  const now = useNow(5_000);

  if (load.phase === 'error' && tokens.length === 0) {
    return <ErrorState title="Could not load the tokens" error={load.error} onRetry={() => void loadTokens()} />;
  }
  if (load.phase !== 'ready' && tokens.length === 0) return <LoadingState label="Loading tokens…" />;
  if (tokens.length === 0) {
    return (
      <EmptyState icon="access" title="No tokens issued yet">
        Tokens you issue here, and the ones inside exported .rdp files, are listed with their status.
      </EmptyState>
    );
  }
  const shown = activeOnly ? tokens.filter((token) => tokenStatus(token, now) === 'active') : tokens;
  return (
    <>
      <div className="table-toolbar">
        <CheckField label="Active only" checked={activeOnly} onChange={setActiveOnly} />
        <span className="muted">
          {shown.length} of {tokens.length}
        </span>
      </div>
      <div className="table-wrap">
        <table className="table">
          <caption className="sr-only">Issued tokens</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Host</th>
              <th scope="col">Kind</th>
              <th scope="col">Label</th>
              <th scope="col">Issued</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((token) => {
              const status = tokenStatus(token, now);
              return (
                <tr key={token.jti} data-jti={token.jti}>
                  <td data-label="Status">
                    <span className={`badge ${STATUS_BADGES[status]}`}>{status}</span>
                  </td>
                  <td data-label="Host">
                    <span className="cell-primary">{token.host}</span>
                  </td>
                  <td data-label="Kind">
                    {KIND_LABELS[token.kind]}
                    {token.singleUse ? <span className="badge badge-neutral badge-inline">single use</span> : null}
                  </td>
                  <td data-label="Label">{token.device ?? token.label ?? <span className="muted">—</span>}</td>
                  <td data-label="Issued" title={formatDateTime(token.issuedAt)}>
                    {formatRelative(token.issuedAt, now)}
                  </td>
                  <td data-label="Expires" title={formatDateTime(token.expiresAt)}>
                    {status === 'revoked' && token.revokedAt
                      ? `revoked ${formatRelative(token.revokedAt, now)}`
                      : formatRelative(token.expiresAt, now)}
                  </td>
                  <td className="actions">
                    {status === 'active' ? (
                      <button
                        type="button"
                        className="btn btn-sm btn-danger-ghost"
                        onClick={() => props.onRevoke(token)}
                        aria-label={`Revoke the ${KIND_LABELS[token.kind].toLowerCase()} token for ${token.host}${
                          (token.device ?? token.label) ? ` (${token.device ?? token.label})` : ''
                        }`}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function AccessView() {
  const loadHosts = useHomegate((state) => state.loadHosts);
  const loadTokens = useHomegate((state) => state.loadTokens);
  const loadSettings = useHomegate((state) => state.loadSettings);
  const revokeToken = useHomegate((state) => state.revokeToken);
  const notify = useHomegate((state) => state.notify);
  const [issuing, setIssuing] = useState(false);
  const [revoking, setRevoking] = useState<IssuedToken | undefined>(undefined);

  useEffect(() => {
    void loadHosts();
    void loadTokens();
    void loadSettings();
  }, [loadHosts, loadTokens, loadSettings]);

  const issueButton = (
    <button type="button" className="btn btn-primary" onClick={() => setIssuing(true)}>
      <Icon name="plus" /> Issue token
    </button>
  );

  return (
    <>
      <PageHeader
        title="Access"
        description="Tokens let a client through the gateway to one host. Short-lived ones expire on their own; per-device ones last weeks, so revoke any that should stop working."
        actions={issueButton}
      />
      <section className="card card-flush" aria-labelledby="tokens-title">
        <h2 className="card-title card-title-flush" id="tokens-title">
          Issued tokens
        </h2>
        <TokenTable onRevoke={setRevoking} />
      </section>
      {issuing ? <IssueDialog onClose={() => setIssuing(false)} /> : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke this token?"
          confirmLabel="Revoke token"
          danger
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await revokeToken(revoking.jti);
            notify('success', `Revoked the token for ${revoking.host}.`);
          }}
        >
          <p>
            The token for <strong>{revoking.host}</strong>
            {(revoking.device ?? revoking.label) ? ` (${revoking.device ?? revoking.label})` : ''} stops working at
            once, including in any .rdp file that carries it. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
