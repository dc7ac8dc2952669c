import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

/**
 * A labelled form control with its hint and its error, wired for assistive technology: the control is described by
 * both and marked invalid when there is an error. `children` receives the ids to put on the control.
 */
export function Field(props: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  optional?: boolean;
  className?: string;
  children: (control: {
    id: string;
    'aria-describedby': string | undefined;
    'aria-invalid': boolean | undefined;
  }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  // The error replaces the hint on screen, so it replaces it in the description too.
  const describedBy = props.error ? errorId : props.hint ? hintId : undefined;
  return (
    <div className={props.className ? `field ${props.className}` : 'field'}>
      <label className="field-label" htmlFor={id}>
        {props.label}
        {props.optional ? <span className="field-optional"> (optional)</span> : null}
      </label>
      {props.children({
        id,
        'aria-describedby': describedBy,
        'aria-invalid': props.error ? true : undefined,
      })}
      {props.error ? (
        <p className="field-error" id={errorId}>
          {props.error}
        </p>
      ) : props.hint ? (
        <p className="field-hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}

/** A one-line text input in a Field; `input` holds what differs between them (length, type, autocomplete…). */
export function TextField(props: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  optional?: boolean;
  value: string;
  onChange: (value: string) => void;
  input?: Omit<InputHTMLAttributes<HTMLInputElement>, 'className' | 'value' | 'onChange'>;
}) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error} optional={props.optional}>
      {(control) => (
        <input
          {...control}
          className="input"
          {...props.input}
          value={props.value}
          onChange={(event) => props.onChange(event.target.value)}
        />
      )}
    </Field>
  );
}

/** A checkbox with its label and an explanation underneath. */
export function CheckField(props: {
  label: string;
  hint?: ReactNode;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="check-field">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(event) => props.onChange(event.target.checked)}
      />
      <div>
        <label htmlFor={id}>{props.label}</label>
        {props.hint ? (
          <p className="field-hint" id={`${id}-hint`}>
            {props.hint}
          </p>
        ) : null}
      </div>
    </div>
  );
}

/** Field errors from a zod safeParse, keyed by the first path segment (the first message wins). */
export function fieldErrors(
  issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const key = String(issue.path[0] ?? '');
    errors[key] ??= issue.message;
  }
  return errors;
}
