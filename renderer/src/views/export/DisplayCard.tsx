import type { RdpOptions } from '../../../../shared/ipc/contract.ts';
import { CheckField, Field, TextField } from '../../components/Field.tsx';
import { ScreenChoice } from './ScreenChoice.tsx';
import type { ExportFormState } from './useExportForm.ts';

/** The on-or-off options: the screens, and what the client shares with the host. */
const SHARING = [
  { key: 'multiMonitor', label: 'Use all monitors', hint: 'Spans the session across every screen of the client.' },
  { key: 'clipboard', label: 'Share the clipboard', hint: 'Copy and paste between the client and the host.' },
  {
    key: 'drives',
    label: 'Share local drives',
    hint: "The host can read and write the client's drives. Leave off unless you need it.",
  },
] as const;

/** The client options the file carries: screen, sound, shared devices, and a user name for the sign-in prompt. */
export function DisplayCard({ form }: { form: ExportFormState }) {
  const { options, setOption } = form;
  return (
    <section className="card" aria-labelledby="export-display">
      <h2 className="card-title" id="export-display">
        Display and devices
      </h2>
      <div className="form-grid">
        <ScreenChoice value={options.screenMode} onChange={(value) => setOption('screenMode', value)} />
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
        {SHARING.map((option) => (
          <CheckField
            key={option.key}
            label={option.label}
            hint={option.hint}
            checked={options[option.key]}
            onChange={(checked) => setOption(option.key, checked)}
          />
        ))}
      </div>
      <TextField
        label="User name"
        optional
        error={form.usernameError}
        hint="Filled in at the client's sign-in prompt. No password is ever stored in the file."
        value={form.username}
        onChange={form.setUsername}
        input={{ autoComplete: 'off', spellCheck: false, placeholder: 'DESKTOP\\sam' }}
      />
    </section>
  );
}
