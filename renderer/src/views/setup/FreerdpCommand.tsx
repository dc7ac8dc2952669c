import { useState } from 'react';
import { errorMessage } from '../../api/errors.ts';
import { FormError } from '../../components/FormError.tsx';
import { copyText } from '../../files.ts';
import { useHomegate } from '../../store/context.tsx';
import { freerdpCommands } from './connect-clients.ts';

function CommandLine(props: { label: string; command: string }) {
  const [copied, setCopied] = useState<boolean | undefined>(undefined);
  return (
    <div className="setup-command">
      <p className="field-label">{props.label}</p>
      <pre className="mono setup-command-text" aria-label={props.label}>
        {props.command}
      </pre>
      <button type="button" className="btn btn-sm" onClick={() => void copyText(props.command).then(setCopied)}>
        Copy {props.label}
      </button>
      <span role="status" className="muted">
        {copied === true ? 'Copied.' : copied === false ? 'Copying was refused: select the line and copy it.' : ''}
      </span>
    </div>
  );
}

/** A FreeRDP command line with a fresh token for `host`, made on request (the token is shown here only). */
export function FreerdpCommand(props: { host: string }) {
  const issueToken = useHomegate((state) => state.issueToken);
  const ttlSeconds = useHomegate((state) => state.settings?.paaTtlSeconds ?? 15 * 60);
  const gateway = useHomegate((state) => state.status?.publicAddress ?? '');
  const [commands, setCommands] = useState<{ v2: string; v3: string } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const make = async (): Promise<void> => {
    setError(undefined);
    try {
      const { token } = await issueToken({ host: props.host, ttlSeconds, label: 'FreeRDP command line' });
      setCommands(freerdpCommands(props.host, gateway, token));
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  return (
    <>
      <button type="button" className="btn btn-sm" onClick={() => void make()}>
        Make a FreeRDP command line for {props.host}
      </button>
      <FormError error={error} />
      {commands ? (
        <>
          <CommandLine label="FreeRDP 2 command" command={commands.v2} />
          <CommandLine label="FreeRDP 3 command" command={commands.v3} />
          <p className="muted">FreeRDP 3 always dials port 443, so its line works when clients reach you on 443.</p>
        </>
      ) : null}
    </>
  );
}
