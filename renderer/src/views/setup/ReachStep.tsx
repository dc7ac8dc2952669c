import { useState } from 'react';
import { errorMessage } from '../../api/errors.ts';
import { TextField } from '../../components/Field.tsx';
import { Form } from '../../components/Form.tsx';
import { useHomegate } from '../../store/context.tsx';

/** How clients reach you: the public name and port, and what to set on the router, in plain words. */
export function ReachStep(props: { onHomeOnly: () => void }) {
  const settings = useHomegate((state) => state.settings);
  const port = useHomegate((state) => state.status?.listening?.port);
  const saveSettings = useHomegate((state) => state.saveSettings);
  const [name, setName] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const current = settings?.publicNames[0] ?? '';
  const shown = name ?? current;
  const save = async (): Promise<void> => {
    if (!settings) return;
    setBusy(true);
    setError(undefined);
    try {
      const rest = settings.publicNames.filter((other) => other !== current);
      await saveSettings({ ...settings, publicNames: shown.trim() === '' ? rest : [shown.trim(), ...rest] });
      setName(undefined);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <p>
        Outside your home, clients find the gateway by a name on the internet: your own domain, or a free dynamic-DNS
        name (such as one from your router) that follows your home's address when it changes.
      </p>
      <Form className="setup-inline-form" label="Public name" onSubmit={save}>
        <TextField
          label="Public name"
          error={error}
          hint="For example home.example.net. It goes in the certificate too."
          value={shown}
          onChange={setName}
          input={{ autoComplete: 'off', spellCheck: false }}
        />
        <button type="submit" className="btn btn-primary" disabled={busy || !settings || shown.trim() === current}>
          {busy ? 'Saving…' : 'Save public name'}
        </button>
      </Form>
      <p>
        <strong>On your router,</strong> find “port forwarding” (sometimes “virtual server” or “NAT”) and forward TCP
        port <strong>{port ?? 8443}</strong> to this computer, on the same port. That one port is all Homegate needs;
        never forward Remote Desktop's own port 3389.
      </p>
      {current === '' ? (
        <button type="button" className="btn btn-sm" onClick={props.onHomeOnly}>
          Only at home for now
        </button>
      ) : null}
    </>
  );
}
