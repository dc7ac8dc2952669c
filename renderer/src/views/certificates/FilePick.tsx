import { useRef, type ChangeEvent } from 'react';
import { Icon } from '../../components/Icon.tsx';

/** A file-picker button that fills a text area or a value; the input itself stays visually hidden. */
export function FilePick(props: {
  label: string;
  accept: string;
  onPick: (file: File) => void;
  invalid?: boolean;
  describedBy?: string | undefined;
}) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={ref}
        type="file"
        className="sr-only"
        tabIndex={-1}
        accept={props.accept}
        aria-label={props.label}
        onChange={(event: ChangeEvent<HTMLInputElement>) => {
          const file = event.target.files?.[0];
          if (file) props.onPick(file);
          event.target.value = '';
        }}
      />
      <button
        type="button"
        className="btn btn-sm"
        aria-invalid={props.invalid ? true : undefined}
        aria-describedby={props.describedBy}
        onClick={() => ref.current?.click()}
      >
        <Icon name="upload" /> {props.label}
      </button>
    </>
  );
}
