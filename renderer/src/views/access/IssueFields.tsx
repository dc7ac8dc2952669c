import { CheckField, TextField } from '../../components/Field.tsx';
import { HostSelect } from '../../components/HostSelect.tsx';
import { LifetimeSelect } from '../../components/LifetimeSelect.tsx';
import { DEVICE_LIFETIMES_SECONDS, SHORT_LIFETIMES_SECONDS } from '../../lifetimes.ts';
import type { IssueForm } from './useIssueForm.ts';

/** The two kinds of token, each with its trade-off. */
export function KindChoice(props: { form: IssueForm }) {
  const { kind, setKind } = props.form;
  return (
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
  );
}

/** The host and lifetime every token has, then what only its kind has: a label and single use, or a device. */
export function IssueFields(props: { form: IssueForm }) {
  const { form } = props;
  const { kind, errors } = form;
  return (
    <div className="form-grid">
      <HostSelect hosts={form.hosts} value={form.chosenHost} error={errors.host} onChange={form.setHost} />
      <LifetimeSelect
        label="Valid for"
        error={errors.ttlSeconds}
        presets={kind === 'short' ? SHORT_LIFETIMES_SECONDS : DEVICE_LIFETIMES_SECONDS}
        defaultSeconds={kind === 'short' ? form.defaultTtl : undefined}
        value={form.ttl}
        onChange={form.setTtl}
      />
      {kind === 'short' ? (
        <TextField
          label="Label"
          optional
          error={errors.label}
          hint="A note for the list, such as “hotel laptop”."
          value={form.label}
          onChange={form.setLabel}
          input={{ maxLength: 64 }}
        />
      ) : (
        <TextField
          label="Device"
          error={errors.device}
          hint="The device that keeps this token, such as “Sam’s iPad”."
          value={form.device}
          onChange={form.setDevice}
          input={{ maxLength: 64 }}
        />
      )}
      {kind === 'short' ? (
        <div className="field field-check">
          <CheckField
            label="Single use"
            hint="The token opens one connection, then stops working."
            checked={form.singleUse}
            onChange={form.setSingleUse}
          />
        </div>
      ) : null}
    </div>
  );
}
