import { useState } from 'react';
import { Icon } from '../../components/Icon.tsx';
import { copyText } from '../../files.ts';

export function Fingerprint(props: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="fingerprint">
      <code className="mono fingerprint-value">
        {props.value.split(':').map((pair, index) => (
          // Break lines only between byte pairs; <wbr> adds nothing to a copied selection.
          <span key={index}>
            {index > 0 ? ':' : ''}
            {index > 0 ? <wbr /> : null}
            {pair}
          </span>
        ))}
      </code>
      <button
        type="button"
        className="icon-btn"
        aria-label={`Copy the ${props.label}`}
        title="Copy"
        onClick={() => void copyText(props.value).then(setCopied)}
      >
        <Icon name={copied ? 'check' : 'copy'} />
      </button>
    </div>
  );
}
