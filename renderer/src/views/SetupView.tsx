import { PageHeader } from '../components/PageHeader.tsx';
import { SetupChecklist } from './setup/SetupChecklist.tsx';

/** The onboarding checklist on its own page (`#setup`), as Settings reopens it. */
export function SetupView() {
  return (
    <>
      <PageHeader
        title="Get started"
        description="From a fresh install to a first Remote Desktop connection from outside your home."
      />
      <SetupChecklist />
    </>
  );
}
