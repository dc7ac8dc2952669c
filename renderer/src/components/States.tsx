import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon.tsx';
import type { Loadable } from '../store/slice.ts';

export function LoadingState(props: { label: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <p className="state-text">{props.label}</p>
    </div>
  );
}

export function ErrorState(props: { title: string; error: string | undefined; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <Icon name="alert" className="state-icon" />
      <p className="state-title">{props.title}</p>
      {props.error ? <p className="state-text">{props.error}</p> : null}
      {props.onRetry ? (
        <button type="button" className="btn" onClick={props.onRetry}>
          <Icon name="refresh" /> Try again
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState(props: { icon: IconName; title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state-empty">
      <span className="state-badge">
        <Icon name={props.icon} />
      </span>
      <p className="state-title">{props.title}</p>
      {props.children ? <div className="state-text">{props.children}</div> : null}
      {props.action ?? null}
    </div>
  );
}

/**
 * Data a view loads, or why it is not there: loading or the failure (with a retry) until something has arrived,
 * then the empty state when there is nothing, else the children. A failed refresh keeps what is shown. Without an
 * `empty`, nothing loaded reads as still loading (one record, such as the settings); `card` puts the loading and
 * failure states in a card of their own, for views that have no card around them.
 */
export function Loaded(props: {
  load: Loadable;
  none: boolean;
  loadingLabel: string;
  errorTitle: string;
  onRetry: () => void;
  empty?: ReactNode;
  card?: boolean;
  children: ReactNode;
}) {
  if (!props.none) return props.children;
  const inCard = (state: ReactNode): ReactNode => (props.card ? <section className="card">{state}</section> : state);
  if (props.load.phase === 'error') {
    return inCard(<ErrorState title={props.errorTitle} error={props.load.error} onRetry={props.onRetry} />);
  }
  if (props.load.phase !== 'ready' || props.empty === undefined)
    return inCard(<LoadingState label={props.loadingLabel} />);
  return props.empty;
}
