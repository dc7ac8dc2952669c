import type { ReactNode } from 'react';
import { lifetimeOptions } from '../lifetimes.ts';
import { Field } from './Field.tsx';

/** How long a token lives: the preset lifetimes, plus the configured default when it is not one of them. */
export function LifetimeSelect(props: {
  label: string;
  hint?: ReactNode;
  error: string | undefined;
  presets: readonly number[];
  defaultSeconds: number | undefined;
  value: number;
  onChange: (seconds: number) => void;
}) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {(control) => (
        <select
          {...control}
          className="input"
          value={props.value}
          onChange={(event) => props.onChange(Number(event.target.value))}
        >
          {lifetimeOptions(props.presets, props.defaultSeconds).map((option) => (
            <option key={option.seconds} value={option.seconds}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
