import type { Host } from '../../../shared/model/hosts.ts';
import { Field } from './Field.tsx';

/** Which of the allowed hosts a token or a file opens. */
export function HostSelect(props: {
  hosts: readonly Host[];
  value: string;
  error: string | undefined;
  onChange: (host: string) => void;
}) {
  return (
    <Field label="Host" error={props.error}>
      {(control) => (
        <select
          {...control}
          className="input"
          value={props.value}
          onChange={(event) => props.onChange(event.target.value)}
        >
          {props.hosts.map((h) => (
            <option key={h.name} value={h.name}>
              {h.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
