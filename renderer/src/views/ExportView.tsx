import { useEffect } from 'react';
import { PageHeader } from '../components/PageHeader.tsx';
import { Loaded } from '../components/States.tsx';
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

  return (
    <>
      <PageHeader
        title="Export"
        description="Make an .rdp file that opens a host through the gateway in the client you already have — double-click and connect."
      />
      <Loaded
        load={hostsLoad}
        none={hostCount === 0 && hostsLoad.phase !== 'ready'}
        loadingLabel="Loading hosts…"
        errorTitle="Could not load the hosts"
        onRetry={() => void loadHosts()}
        card
      >
        <ExportForm />
        <PhoneDownloadCard />
      </Loaded>
    </>
  );
}
