import type { ReactNode } from 'react';

export function PageHeader(props: { title: string; description: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1 className="page-title">{props.title}</h1>
        <p className="page-description">{props.description}</p>
      </div>
      {props.actions ? <div className="page-actions">{props.actions}</div> : null}
    </header>
  );
}
