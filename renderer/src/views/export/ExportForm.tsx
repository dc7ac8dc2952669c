import { Form } from '../../components/Form.tsx';
import { FormError } from '../../components/FormError.tsx';
import { HomeOnlyWarning } from '../../components/HomeOnlyWarning.tsx';
import { Icon } from '../../components/Icon.tsx';
import { formatTime } from '../../format.ts';
import { AddHostFirst } from '../AddHostFirst.tsx';
import { ConnectionCard } from './ConnectionCard.tsx';
import { DisplayCard } from './DisplayCard.tsx';
import { useExportForm } from './useExportForm.ts';

/** The Export form: connection and client options, then the download, with what the file is good for. */
export function ExportForm(props: { onExported?: () => void }) {
  const form = useExportForm(props.onExported);
  if (form.hosts.length === 0) {
    return (
      <section className="card">
        <AddHostFirst>An .rdp file opens one of the hosts the gateway allows.</AddHostFirst>
      </section>
    );
  }
  return (
    <Form className="export-form" label="Export an .rdp file" onSubmit={form.submit}>
      <HomeOnlyWarning />
      <ConnectionCard form={form} />
      <DisplayCard form={form} />
      <FormError error={form.error} />
      {form.saved ? (
        <div className="callout callout-success" role="status">
          <Icon name="check" />
          <p>
            Saved <strong>{form.saved.file.fileName}</strong>. Its token works until about{' '}
            {formatTime(new Date(form.saved.expiresAt).toISOString())}; export a fresh file after that.
          </p>
        </div>
      ) : null}
      <div className="form-actions sticky-actions">
        <button type="submit" className="btn btn-primary btn-lg" disabled={form.busy}>
          <Icon name="export" /> {form.busy ? 'Preparing…' : 'Download .rdp file'}
        </button>
        <p className="muted">
          Clients must trust the gateway's certificate: see <a href="#certificates">Certificates</a>.
        </p>
      </div>
    </Form>
  );
}
