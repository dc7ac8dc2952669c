import { queryAudit, readAuditTail } from '../../sessions/audit-tail.ts';
import { dataPaths } from '../../config/data-dir.ts';
import type { CallHandlers, HandlerDeps } from '../dispatch.ts';

export function auditHandlers({ service }: HandlerDeps): Pick<CallHandlers, 'audit.list' | 'audit.query'> {
  const path = dataPaths(service.context.dataDir).auditLog;
  return {
    // Newest first. The log is written through a buffered stream, so the last few events may not be on disk yet.
    'audit.list': ({ limit }) => readAuditTail(path, limit),
    'audit.query': (query) => queryAudit(path, query),
  };
}
