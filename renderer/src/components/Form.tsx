import type { ReactNode, Ref } from 'react';

/**
 * A form the page checks and sends itself: no browser validation, no navigation. Submitting runs `onSubmit`, whose
 * promise reports its own failures next to the fields.
 */
export function Form(props: {
  className: string;
  label?: string;
  ref?: Ref<HTMLFormElement>;
  onSubmit: () => Promise<void>;
  children: ReactNode;
}) {
  return (
    <form
      ref={props.ref}
      className={props.className}
      noValidate
      aria-label={props.label}
      onSubmit={(event) => {
        event.preventDefault();
        void props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}
