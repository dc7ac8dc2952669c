import type { ReactNode } from 'react';
import { EmptyState } from '../components/States.tsx';
import { useHomegate } from '../store/context.tsx';

/** Nothing to issue or export for until a host is allowed: why, and the way to the Hosts view to add one. */
export function AddHostFirst(props: { children: ReactNode }) {
  const openAddHost = useHomegate((state) => state.openAddHost);
  return (
    <EmptyState
      icon="hosts"
      title="Add a host first"
      action={
        <button type="button" className="btn btn-primary" onClick={openAddHost}>
          Go to Hosts
        </button>
      }
    >
      {props.children}
    </EmptyState>
  );
}
