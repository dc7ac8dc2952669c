import { useEffect, useRef, useState } from 'react';
import { Icon } from '../../components/Icon.tsx';
import { copyText } from '../../files.ts';
import { formatDateTime } from '../../format.ts';
import type { IssueResult } from '../../store/slices/tokens.ts';

export function NewToken(props: { result: IssueResult; onCopied: () => void }) {
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

/** Shown when closing is asked for before the token was copied. */
export function NotCopiedWarning() {
  return (
    <div className="callout callout-warning" role="alert">
      <Icon name="alert" />
      <p>
        <strong>The token has not been copied.</strong> It is shown only this once: after closing, it cannot be shown
        again, and you would issue a new one.
      </p>
    </div>
  );
}
