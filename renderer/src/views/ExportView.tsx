import { useEffect } from 'react';
import { PageHeader } from '../components/PageHeader.tsx';
import { ErrorState, LoadingState } from '../components/States.tsx';
import { useHomegate } from '../store/context.tsx';
import { ExportForm } from './export/ExportForm.tsx';
import { PhoneDownloadCard } from './export/PhoneDownloadCard.tsx';

export function ExportView() {
  const loadHosts = useHomegate((state) => state.loadHosts);
  const loadSettings = useHomegate((state) => state.loadSettings);
  const hostsLoad = useHomegate((state) => state.hostsLoad);
  const hostCount = useHomegate((state) => state.hosts.length);

  useEffect(() => {
    void loadHosts();
    void loadSettings();
  }, [loadHosts, loadSettings]);

  let content;
  if (hostsLoad.phase === 'error' && hostCount === 0) {
    content = (
      <section className="card">
        <ErrorState title="Could not load the hosts" error={hostsLoad.error} onRetry={() => void loadHosts()} />
      </section>
    );
  } else if (hostsLoad.phase !== 'ready' && hostCount === 0) {
    content = (
      <section className="card">
        <LoadingState label="Loading hosts…" />
      </section>
    );
  } else {
    content = (
      <>
        <ExportForm />
        <PhoneDownloadCard />
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Export"
        description="Make an .rdp file that opens a host through the gateway in the client you already have — double-click and connect."
      />
      {content}
    </>
  );
}
