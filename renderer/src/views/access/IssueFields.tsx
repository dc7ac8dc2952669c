import { CheckField, Field } from '../../components/Field.tsx';
import { DEVICE_LIFETIMES_SECONDS, lifetimeOptions, SHORT_LIFETIMES_SECONDS } from '../../lifetimes.ts';
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
      <Field label="Host" error={errors.host}>
        {(control) => (
          <select
            {...control}
            className="input"
            value={form.chosenHost}
            onChange={(event) => form.setHost(event.target.value)}
          >
            {form.hosts.map((h) => (
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
            value={form.ttl}
            onChange={(event) => form.setTtl(Number(event.target.value))}
          >
            {lifetimeOptions(
              kind === 'short' ? SHORT_LIFETIMES_SECONDS : DEVICE_LIFETIMES_SECONDS,
              kind === 'short' ? form.defaultTtl : undefined,
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
              value={form.label}
              maxLength={64}
              onChange={(event) => form.setLabel(event.target.value)}
            />
          )}
        </Field>
      ) : (
        <Field label="Device" error={errors.device} hint="The device that keeps this token, such as “Sam’s iPad”.">
          {(control) => (
            <input
              {...control}
              className="input"
              value={form.device}
              maxLength={64}
              onChange={(event) => form.setDevice(event.target.value)}
            />
          )}
        </Field>
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
