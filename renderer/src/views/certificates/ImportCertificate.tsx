import { Field, TextField } from '../../components/Field.tsx';
import { Form } from '../../components/Form.tsx';
import { FormError } from '../../components/FormError.tsx';
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

/** The two PEM texts, each pasted or read from a chosen file. */
const PEM_FIELDS = [
  {
    field: 'certPem',
    label: 'Certificate chain',
    hint: 'The server certificate first, then any intermediates.',
    placeholder: '-----BEGIN CERTIFICATE-----',
    pickLabel: 'Choose certificate file',
    accept: '.pem,.crt,.cer',
  },
  {
    field: 'keyPem',
    label: 'Private key',
    hint: 'Stays on the gateway; never shown again.',
    placeholder: '-----BEGIN PRIVATE KEY-----',
    pickLabel: 'Choose key file',
    accept: '.pem,.key',
  },
] as const;

function PemField(props: { form: ImportForm; spec: (typeof PEM_FIELDS)[number] }) {
  const { form, spec } = props;
  const { field } = spec;
  const apply = field === 'certPem' ? form.setCertPem : form.setKeyPem;
  return (
    <Field label={spec.label} hint={spec.hint} error={form.errors[field]}>
      {(control) => (
        <>
          <textarea
            {...control}
            className="input mono pem"
            rows={6}
            spellCheck={false}
            placeholder={spec.placeholder}
            value={form[field]}
            onChange={(event) => {
              apply(event.target.value);
              form.clearError(field);
            }}
          />
          <FilePick label={spec.pickLabel} accept={spec.accept} onPick={form.pick(field, apply)} />
        </>
      )}
    </Field>
  );
}

function PemFields(props: { form: ImportForm }) {
  return (
    <div className="form-grid">
      {PEM_FIELDS.map((spec) => (
        <PemField key={spec.field} form={props.form} spec={spec} />
      ))}
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
      <TextField
        label="Passphrase"
        hint="Leave empty if the file has none."
        error={errors.passphrase}
        value={form.passphrase}
        onChange={(text) => {
          form.setPassphrase(text);
          form.clearError('passphrase');
        }}
        input={{ type: 'password', autoComplete: 'off' }}
      />
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
      <Form ref={form.ref} className="stack" label="Import a certificate" onSubmit={form.submit}>
        <FormatChoice form={form} />
        {form.format === 'pem' ? <PemFields form={form} /> : <PfxFields form={form} />}
        <FormError error={form.errors.form} />
        <div>
          <button type="submit" className="btn btn-primary" disabled={form.busy}>
            <Icon name="upload" /> {form.busy ? 'Importing…' : 'Import certificate'}
          </button>
        </div>
      </Form>
    </section>
  );
}
