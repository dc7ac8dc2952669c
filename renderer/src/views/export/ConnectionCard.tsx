import { HostSelect } from '../../components/HostSelect.tsx';
import { LifetimeSelect } from '../../components/LifetimeSelect.tsx';
import { SHORT_LIFETIMES_SECONDS } from '../../lifetimes.ts';
import { useHomegate } from '../../store/context.tsx';
import { RadioCard } from './RadioCard.tsx';
import type { ExportFormState } from './useExportForm.ts';

/** Which host, how long the file's token lives, and whether the client goes through the gateway or the relay. */
export function ConnectionCard({ form }: { form: ExportFormState }) {
  const relayListening = useHomegate((state) => state.status?.relayListening ?? undefined);
  const publicAddress = useHomegate((state) => state.status?.publicAddress);
  return (
    <section className="card" aria-labelledby="export-connection">
      <h2 className="card-title" id="export-connection">
        Connection
      </h2>
      <div className="form-grid">
        <HostSelect hosts={form.hosts} value={form.chosenHost} error={form.errors.host} onChange={form.setHost} />
        <LifetimeSelect
          label="Token valid for"
          hint="The file carries its own token: anyone holding the file can connect until then."
          error={form.errors.ttlSeconds}
          presets={SHORT_LIFETIMES_SECONDS}
          defaultSeconds={form.defaultTtl}
          value={form.ttlSeconds}
          onChange={form.setTtl}
        />
      </div>
      <fieldset className="choice-group">
        <legend className="field-label">How the client connects</legend>
        <RadioCard
          name="mode"
          checked={form.mode === 'gateway'}
          onSelect={() => form.setMode('gateway')}
          title="Through the gateway (HTTPS)"
          text={`For MSTSC, the Windows App on every platform, FreeRDP and Remmina. Uses only the HTTPS port${
            publicAddress ? ` (${publicAddress})` : ''
          }.`}
        />
        <RadioCard
          name="mode"
          checked={form.mode === 'relay'}
          disabled={!relayListening}
          onSelect={() => form.setMode('relay')}
          title="Direct TCP relay"
          text={
            relayListening
              ? 'For clients that send a preconnection blob (FreeRDP, Remote Desktop Manager). Needs the relay port reachable.'
              : 'Off: the relay is not listening. Start the gateway with --relay-listen to use it.'
          }
        />
      </fieldset>
    </section>
  );
}
