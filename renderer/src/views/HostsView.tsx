import { useEffect, useState } from 'react';
import { formatHostAndPort, type Host } from '../../../shared/model/hosts.ts';
import { ACTIONS, DataTable } from '../components/DataTable.tsx';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, Loaded } from '../components/States.tsx';
import { useHomegate } from '../store/context.tsx';
import { HostForm } from './HostForm.tsx';
import { LastReachability, WakeButton, useLastReachability } from './HostWake.tsx';

function ProbeResult(props: { name: string }) {
  const probe = useHomegate((state) => state.probes[props.name]);
  const lastAt = useHomegate((state) => state.reachability[props.name.toLowerCase()]?.at);
  // A dial after the test (a client connecting, a test elsewhere) is newer news than the test's result.
  const superseded = probe?.phase === 'done' && probe.at !== undefined && lastAt !== undefined && lastAt > probe.at;
  if (!probe || superseded) return <LastReachability name={props.name} />;
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

function HostRow(props: { host: Host; onEdit: () => void; onRemove: () => void }) {
  const testHost = useHomegate((state) => state.testHost);
  const navigate = useHomegate((state) => state.navigate);
  const { host } = props;
  return (
    <tr data-host={host.name}>
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
        <WakeButton host={host} />
        <button
          type="button"
          className="btn btn-sm"
          onClick={() => navigate('export', host.name)}
          aria-label={`Export an .rdp file for ${host.name}`}
        >
          <Icon name="export" /> .rdp
        </button>
        <button type="button" className="icon-btn" onClick={props.onEdit} aria-label={`Edit ${host.name}`} title="Edit">
          <Icon name="edit" />
        </button>
        <button
          type="button"
          className="icon-btn icon-btn-danger"
          onClick={props.onRemove}
          aria-label={`Remove ${host.name}`}
          title="Remove"
        >
          <Icon name="trash" />
        </button>
      </td>
    </tr>
  );
}

function HostsTable(props: { hosts: readonly Host[]; onEdit: (host: Host) => void; onRemove: (host: Host) => void }) {
  return (
    <DataTable caption="Allowed hosts" columns={['Name', 'Address', 'Wake-on-LAN', 'Reachability', ACTIONS]}>
      {props.hosts.map((host) => (
        <HostRow key={host.name} host={host} onEdit={() => props.onEdit(host)} onRemove={() => props.onRemove(host)} />
      ))}
    </DataTable>
  );
}

function EditHostDialog(props: { editing: Editing; onClose: () => void }) {
  const addHost = useHomegate((state) => state.addHost);
  const updateHost = useHomegate((state) => state.updateHost);
  const notify = useHomegate((state) => state.notify);
  const { editing } = props;
  return (
    <HostForm
      host={editing.mode === 'edit' ? editing.host : undefined}
      onClose={props.onClose}
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
  );
}

function RemoveHostDialog(props: { host: Host; onClose: () => void }) {
  const removeHost = useHomegate((state) => state.removeHost);
  const notify = useHomegate((state) => state.notify);
  const { host } = props;
  return (
    <ConfirmDialog
      title={`Remove ${host.name}?`}
      confirmLabel="Remove host"
      danger
      onClose={props.onClose}
      onConfirm={async () => {
        await removeHost(host.name);
        notify('success', `Removed ${host.name}.`);
      }}
    >
      <p>
        Clients can no longer reach <strong>{host.name}</strong> through the gateway, even with a token that names it.
      </p>
    </ConfirmDialog>
  );
}

export function HostsView() {
  const hosts = useHomegate((state) => state.hosts);
  const load = useHomegate((state) => state.hostsLoad);
  const loadHosts = useHomegate((state) => state.loadHosts);
  const takeAddHostRequest = useHomegate((state) => state.takeAddHostRequest);
  const [editing, setEditing] = useState<Editing | undefined>(undefined);
  const [removing, setRemoving] = useState<Host | undefined>(undefined);

  useEffect(() => {
    void loadHosts();
  }, [loadHosts]);
  useLastReachability();
  // Arrived from "Go to Hosts" (Export, Access): the user came to add one.
  useEffect(() => {
    if (takeAddHostRequest()) setEditing({ mode: 'add' });
  }, [takeAddHostRequest]);

  const addButton = (
    <button type="button" className="btn btn-primary" onClick={() => setEditing({ mode: 'add' })}>
      <Icon name="plus" /> Add host
    </button>
  );

  return (
    <>
      <PageHeader
        title="Hosts"
        description="The machines clients may reach through the gateway. A token opens only the hosts it names, and only if they are listed here."
        actions={hosts.length > 0 ? addButton : undefined}
      />
      <section className="card card-flush" aria-label="Allowed hosts">
        <Loaded
          load={load}
          none={hosts.length === 0}
          loadingLabel="Loading hosts…"
          errorTitle="Could not load the hosts"
          onRetry={() => void loadHosts()}
          empty={
            <EmptyState icon="hosts" title="No hosts yet" action={addButton}>
              Add the machines the gateway may reach. Nothing else is reachable through it — not even other machines on
              your network.
            </EmptyState>
          }
        >
          <HostsTable hosts={hosts} onEdit={(host) => setEditing({ mode: 'edit', host })} onRemove={setRemoving} />
        </Loaded>
      </section>
      {editing ? <EditHostDialog editing={editing} onClose={() => setEditing(undefined)} /> : null}
      {removing ? <RemoveHostDialog host={removing} onClose={() => setRemoving(undefined)} /> : null}
    </>
  );
}
