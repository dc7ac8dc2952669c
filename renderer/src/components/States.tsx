import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon.tsx';

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
