/** A form's error that belongs to no one field, announced when it appears. */
export function FormError(props: { error: string | undefined }) {
  return props.error ? (
    <p className="form-error" role="alert">
      {props.error}
    </p>
  ) : null;
}
