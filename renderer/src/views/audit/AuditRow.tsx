import { useId, useState } from 'react';
import type { AuditEntry, IssuedToken } from '../../../../shared/model/ui.ts';
import { auditEventLabel, describeAudit, rawLine } from '../../audit-format.ts';
import { formatDate, formatDateTime, formatTimeSeconds } from '../../format.ts';

function tone(event: string): string {
  if (/refus|denied|fail|error|revok|invalid|reject/.test(event)) return 'badge-danger';
  if (/end|disconnect|expire|pause|remove|logout/.test(event)) return 'badge-neutral';
  if (/connect|start|issue|add|login/.test(event)) return 'badge-success';
  return 'badge-accent';
}

export function AuditRow(props: { entry: AuditEntry; tokens: ReadonlyMap<string, IssuedToken>; index: number }) {
  const { entry } = props;
  const [open, setOpen] = useState(false);
  const rawId = useId();
  return (
    <tr data-event={entry.event}>
      <td className="nowrap" data-label="Time" title={formatDateTime(entry.time)}>
        <span>
          <span className="cell-primary">{formatTimeSeconds(entry.time)}</span>
          <span className="cell-secondary">{formatDate(entry.time)}</span>
        </span>
      </td>
      <td data-label="Event">
        <span className={`badge ${tone(entry.event)}`} title={entry.event}>
          {auditEventLabel(entry.event)}
        </span>
      </td>
      <td data-label="What happened">
        <div className="audit-what">
          <span>{describeAudit(entry, props.tokens)}</span>
          {open ? (
            <pre className="audit-raw mono" id={rawId}>
              {rawLine(entry)}
            </pre>
          ) : null}
        </div>
      </td>
      <td className="actions">
        <button
          type="button"
          className="btn btn-sm"
          aria-expanded={open}
          aria-controls={open ? rawId : undefined}
          aria-label={`${open ? 'Hide' : 'Show'} the raw line of event ${props.index + 1}`}
          onClick={() => setOpen((shown) => !shown)}
        >
          {open ? 'Hide line' : 'Raw line'}
        </button>
      </td>
    </tr>
  );
}
