import { Field } from '../../components/Field.tsx';
import { Icon } from '../../components/Icon.tsx';
import { FilePick } from './FilePick.tsx';
import { useImportForm, type ImportForm } from './useImportForm.ts';

function FormatChoice(props: { form: ImportForm }) {
  const { format, choose } = props.form;
  return (
    <div className="segmented" role="radiogroup" aria-label="File format">
      <label className={format === 'pem' ? 'segment segment-selected' : 'segment'}>
        <input type="radio" name="format" checked={format === 'pem'} onChange={() => choose('pem')} />
        PEM certificate and key
      </label>
      <label className={format === 'pfx' ? 'segment segment-selected' : 'segment'}>
        <input type="radio" name="format" checked={format === 'pfx'} onChange={() => choose('pfx')} />
        PKCS#12 (.pfx)
      </label>
    </div>
  );
}

function PemFields(props: { form: ImportForm }) {
  const { form } = props;
  return (
    <div className="form-grid">
      <Field
        label="Certificate chain"
        hint="The server certificate first, then any intermediates."
        error={form.errors.certPem}
      >
        {(control) => (
          <>
            <textarea
              {...control}
              className="input mono pem"
              rows={6}
              spellCheck={false}
              placeholder="-----BEGIN CERTIFICATE-----"
              value={form.certPem}
              onChange={(event) => {
                form.setCertPem(event.target.value);
                form.clearError('certPem');
              }}
            />
            <FilePick
              label="Choose certificate file"
              accept=".pem,.crt,.cer"
              onPick={form.pick('certPem', form.setCertPem)}
            />
          </>
        )}
      </Field>
      <Field label="Private key" hint="Stays on the gateway; never shown again." error={form.errors.keyPem}>
        {(control) => (
          <>
            <textarea
              {...control}
              className="input mono pem"
              rows={6}
              spellCheck={false}
              placeholder="-----BEGIN PRIVATE KEY-----"
              value={form.keyPem}
              onChange={(event) => {
                form.setKeyPem(event.target.value);
                form.clearError('keyPem');
              }}
            />
            <FilePick label="Choose key file" accept=".pem,.key" onPick={form.pick('keyPem', form.setKeyPem)} />
          </>
        )}
      </Field>
    </div>
  );
}

function PfxFields(props: { form: ImportForm }) {
  const { form } = props;
  const { pfx, errors } = form;
  return (
    <div className="form-grid">
      <div className="field">
        <span className="field-label" id="pfx-label">
          PKCS#12 file
        </span>
        <div className="file-row">
          <FilePick
            label="Choose .pfx file"
            accept=".pfx,.p12"
            invalid={errors.pfx !== undefined}
            describedBy={errors.pfx === undefined ? undefined : 'pfx-error'}
            onPick={form.pickPfx}
          />
          <span className={pfx ? 'mono' : 'muted'}>{pfx ? pfx.name : 'No file chosen'}</span>
        </div>
        {errors.pfx ? (
          <p className="field-error" id="pfx-error">
            {errors.pfx}
          </p>
        ) : null}
      </div>
      <Field label="Passphrase" hint="Leave empty if the file has none." error={errors.passphrase}>
        {(control) => (
          <input
            {...control}
            type="password"
            className="input"
            autoComplete="off"
            value={form.passphrase}
            onChange={(event) => {
              form.setPassphrase(event.target.value);
              form.clearError('passphrase');
            }}
          />
        )}
      </Field>
    </div>
  );
}

export function ImportCertificate() {
  const form = useImportForm();
  return (
    <section className="card" aria-labelledby="cert-import">
      <h2 className="card-title" id="cert-import">
        Use your own certificate
      </h2>
      <p className="card-text">
        A certificate from a public CA (such as Let's Encrypt) is trusted by every client without setup. It needs a name
        for each public name of the gateway, and it is never renewed here.
      </p>
      <form
        ref={form.ref}
        className="stack"
        noValidate
        aria-label="Import a certificate"
        onSubmit={(event) => {
          event.preventDefault();
          void form.submit();
        }}
      >
        <FormatChoice form={form} />
        {form.format === 'pem' ? <PemFields form={form} /> : <PfxFields form={form} />}
        {form.errors.form ? (
          <p className="form-error" role="alert">
            {form.errors.form}
          </p>
        ) : null}
        <div>
          <button type="submit" className="btn btn-primary" disabled={form.busy}>
            <Icon name="upload" /> {form.busy ? 'Importing…' : 'Import certificate'}
          </button>
        </div>
      </form>
    </section>
  );
}
