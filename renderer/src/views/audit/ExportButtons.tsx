import { useState } from 'react';
import { errorMessage } from '../../api/errors.ts';
import { auditToCsv, auditToJson } from '../../audit-format.ts';
import { Icon } from '../../components/Icon.tsx';
import { saveExportedFile } from '../../files.ts';
import { bytesToBase64 } from '../../format.ts';
import { useHomegate } from '../../store/context.tsx';
import { useTokenNames } from '../../hooks/useTokenNames.ts';

export function ExportButtons() {
  const collectAudit = useHomegate((state) => state.collectAudit);
  const tokens = useTokenNames();
  const notify = useHomegate((state) => state.notify);
  const [busy, setBusy] = useState<'csv' | 'json' | undefined>(undefined);
  const download = async (format: 'csv' | 'json'): Promise<void> => {
    setBusy(format);
    try {
      const { entries, truncated } = await collectAudit();
      const content = format === 'csv' ? auditToCsv(entries, tokens) : auditToJson(entries);
      const stamp = new Date().toISOString().slice(0, 10);
      saveExportedFile({
        fileName: `homegate-audit-${stamp}.${format}`,
        mimeType: format === 'csv' ? 'text/csv' : 'application/json',
        contentBase64: bytesToBase64(new TextEncoder().encode(content)),
      });
      notify(
        'success',
        `Exported ${entries.length === 1 ? '1 event' : `${entries.length} events`}${
          truncated ? ' (the newest ones; narrow the filters for older)' : ''
        }.`,
      );
    } catch (error) {
      notify('error', `Could not export the audit log: ${errorMessage(error)}`);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <>
      <button type="button" className="btn" disabled={busy !== undefined} onClick={() => void download('csv')}>
        <Icon name="export" /> {busy === 'csv' ? 'Exporting…' : 'Export CSV'}
      </button>
      <button type="button" className="btn" disabled={busy !== undefined} onClick={() => void download('json')}>
        <Icon name="export" /> {busy === 'json' ? 'Exporting…' : 'Export JSON'}
      </button>
    </>
  );
}
