import { useEffect, useState } from 'react';
import { formatHostAndPort, type Host } from '../../../shared/model/hosts.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, LoadingState } from '../components/States.tsx';
import { useHomegate } from '../store/context.tsx';
import { HostForm } from './HostForm.tsx';

function ProbeResult(props: { name: string }) {
  const probe = useHomegate((state) => state.probes[props.name]);
  if (!probe) return <span className="muted">Not tested</span>;
  if (probe.phase === 'testing') {
    return (
      <span className="probe" role="status">
        <span className="spinner spinner-sm" aria-hidden="true" /> Testing…
      </span>
    );
  }
  if (probe.phase === 'error') {
    return (
      <span className="probe" role="status">
        <span className="badge badge-danger">Test failed</span>
        <span className="cell-secondary">{probe.error}</span>
      </span>
    );
  }
  const { reachable, latencyMs, error } = probe.probe;
  return (
    <span className="probe" role="status">
      {reachable ? (
        <span className="badge badge-success">
          Reachable{latencyMs === undefined ? '' : ` · ${Math.round(latencyMs)} ms`}
        </span>
      ) : (
        <span className="badge badge-danger">Unreachable</span>
      )}
      {!reachable && error ? <span className="cell-secondary">{error}</span> : null}
    </span>
  );
}

type Editing = { readonly mode: 'add' } | { readonly mode: 'edit'; readonly host: Host };

export function HostsView() {
  const hosts = useHomegate((state) => state.hosts);
  const load = useHomegate((state) => state.hostsLoad);
  const loadHosts = useHomegate((state) => state.loadHosts);
  const addHost = useHomegate((state) => state.addHost);
  const updateHost = useHomegate((state) => state.updateHost);
  const removeHost = useHomegate((state) => state.removeHost);
  const testHost = useHomegate((state) => state.testHost);
  const navigate = useHomegate((state) => state.navigate);
  const notify = useHomegate((state) => state.notify);
  const [editing, setEditing] = useState<Editing | undefined>(undefined);
  const [removing, setRemoving] = useState<Host | undefined>(undefined);

  const takeAddHostRequest = useHomegate((state) => state.takeAddHostRequest);

  useEffect(() => {
    void loadHosts();
  }, [loadHosts]);
  // Arrived from "Go to Hosts" (Export, Access): the user came to add one.
  useEffect(() => {
    if (takeAddHostRequest()) setEditing({ mode: 'add' });
  }, [takeAddHostRequest]);

  const addButton = (
    <button type="button" className="btn btn-primary" onClick={() => setEditing({ mode: 'add' })}>
      <Icon name="plus" /> Add host
    </button>
  );

  let content;
  if (load.phase === 'error' && hosts.length === 0) {
    content = <ErrorState title="Could not load the hosts" error={load.error} onRetry={() => void loadHosts()} />;
  } else if (load.phase !== 'ready' && hosts.length === 0) {
    content = <LoadingState label="Loading hosts…" />;
  } else if (hosts.length === 0) {
    content = (
      <EmptyState icon="hosts" title="No hosts yet" action={addButton}>
        Add the machines the gateway may reach. Nothing else is reachable through it — not even other machines on your
        network.
      </EmptyState>
    );
  } else {
    content = (
      <div className="table-wrap">
        <table className="table">
          <caption className="sr-only">Allowed hosts</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">Wake-on-LAN</th>
              <th scope="col">Reachability</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hosts.map((host) => (
              <tr key={host.name} data-host={host.name}>
                <td data-label="Name">
                  <span className="cell-primary">{host.name}</span>
                </td>
                <td className="mono" data-label="Address">
                  {formatHostAndPort(host.address, host.port)}
                </td>
                <td className="mono" data-label="Wake-on-LAN">
                  {host.mac ?? <span className="muted">—</span>}
                </td>
                <td data-label="Reachability">
                  <ProbeResult name={host.name} />
                </td>
                <td className="actions">
                  <button
                    type="button"
                    className="btn btn-sm"
                    onClick={() => void testHost(host.name)}
                    aria-label={`Test ${host.name}`}
                  >
                    <Icon name="plug" /> Test
                  </button>
                  <button
                    type="button"
                    className="btn btn-sm"
                    onClick={() => navigate('export', host.name)}
                    aria-label={`Export an .rdp file for ${host.name}`}
                  >
                    <Icon name="export" /> .rdp
                  </button>
                  <button
                    type="button"
                    className="icon-btn"
                    onClick={() => setEditing({ mode: 'edit', host })}
                    aria-label={`Edit ${host.name}`}
                    title="Edit"
                  >
                    <Icon name="edit" />
                  </button>
                  <button
                    type="button"
                    className="icon-btn icon-btn-danger"
                    onClick={() => setRemoving(host)}
                    aria-label={`Remove ${host.name}`}
                    title="Remove"
                  >
                    <Icon name="trash" />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <>
      <PageHeader
        title="Hosts"
        description="The machines clients may reach through the gateway. A token opens only the hosts it names, and only if they are listed here."
        actions={hosts.length > 0 ? addButton : undefined}
      />
      <section className="card card-flush" aria-label="Allowed hosts">
        {content}
      </section>
      {editing ? (
        <HostForm
          host={editing.mode === 'edit' ? editing.host : undefined}
          onClose={() => setEditing(undefined)}
          onSave={async (host) => {
            if (editing.mode === 'edit') {
              await updateHost(editing.host.name, host);
              notify('success', `Saved ${host.name}.`);
            } else {
              await addHost(host);
              notify('success', `Added ${host.name}. Test it to check the gateway can reach it.`);
            }
          }}
        />
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove host"
          danger
          onClose={() => setRemoving(undefined)}
          onConfirm={async () => {
            await removeHost(removing.name);
            notify('success', `Removed ${removing.name}.`);
          }}
        >
          <p>
            Clients can no longer reach <strong>{removing.name}</strong> through the gateway, even with a token that
            names it.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
