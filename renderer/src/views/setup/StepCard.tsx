import type { ReactNode } from 'react';
import { Icon } from '../../components/Icon.tsx';

/** One step of the checklist: its number, title, whether it is done (in words, not only colour), and its body. */
export function StepCard(props: { id: string; number: number; title: string; done: boolean; children: ReactNode }) {
  const headingId = `setup-${props.id}`;
  return (
    <li className={props.done ? 'card setup-step setup-step-done' : 'card setup-step'} aria-labelledby={headingId}>
      <div className="setup-step-head">
        <span className="setup-step-mark" aria-hidden="true">
          {props.done ? <Icon name="check" /> : props.number}
        </span>
        <h2 className="card-title" id={headingId}>
          {props.title}
        </h2>
        <span className={props.done ? 'badge badge-success' : 'badge'}>{props.done ? 'Done' : 'Not done yet'}</span>
      </div>
      <div className="setup-step-body">{props.children}</div>
    </li>
  );
}
