/**
 * `GET /download/<code>`: a one-time download link's .rdp file (download-links.ts), on the gateway's HTTPS port in
 * both shells, for a phone that has scanned its QR code. No session: the code is the credential. The first fetch
 * gets the file (a per-device token minted at that moment); a second, or one after the link's ten minutes, gets 410
 * Gone with a sentence saying why; an unknown code 404. Every answer is `no-store` and sends no referrer. Each use
 * and each refusal writes an audit line naming the link by `linkId` only. A client that keeps presenting codes that
 * do not work is answered 429 for a while without any lookup.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ExportedFile } from '../../shared/model/ui.ts';
import { FailureLimiter } from '../api/failure-limiter.ts';
import { ContractCallError } from '../ipc/dispatch.ts';
import type { Logger } from '../logging/logger.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import { DOWNLOAD_PATH_PREFIX, type DownloadGrant, type DownloadLinks } from './download-links.ts';
import { SECURITY_HEADERS, pathOf } from './web-http.ts';

/** Codes that do not work, per client, before it is answered 429 until the window ends. */
export const MAX_DOWNLOAD_FAILURES = 20;
export const DOWNLOAD_FAILURE_WINDOW_MS = 60_000;

export interface DownloadRouteDeps {
  readonly links: DownloadLinks;
  /** Makes the file a link grants; rejects with ContractCallError when it cannot (the host was removed). */
  readonly exportFile: (grant: DownloadGrant, client: string) => Promise<ExportedFile>;
  readonly audit: AuditSink;
  readonly logger: Logger;
  /** The client a request comes from (behind trusted proxies, the forwarded one). */
  readonly clientAddress: (request: IncomingMessage) => string;
  readonly limiter?: FailureLimiter;
}

export interface DownloadRoute {
  handles(request: IncomingMessage): boolean;
  /** Answers one request; never throws. */
  handleRequest(request: IncomingMessage, response: ServerResponse): void;
}

const HEADERS: OutgoingHttpHeaders = {
  ...SECURITY_HEADERS,
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

const MAKE_ANOTHER = 'Make a new one in Homegate: Export, then "Download on a phone".';
const REFUSALS = {
  used: {
    status: 410,
    text: `This download link has already been used: each link gives its file once. ${MAKE_ANOTHER}`,
  },
  expired: { status: 410, text: `This download link has expired: links work for ten minutes. ${MAKE_ANOTHER}` },
  unknown: { status: 404, text: `There is no such download link. ${MAKE_ANOTHER}` },
} as const;

export function createDownloadRoute(deps: DownloadRouteDeps): DownloadRoute {
  const { links, audit, logger } = deps;
  const limiter =
    deps.limiter ?? new FailureLimiter({ maxFailures: MAX_DOWNLOAD_FAILURES, windowMs: DOWNLOAD_FAILURE_WINDOW_MS });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET') {
      return sendText(response, 405, 'Download links answer GET.', { allow: 'GET' });
    }
    const client = deps.clientAddress(request);
    const retryAfter = limiter.retryAfterSeconds(client);
    if (retryAfter > 0) {
      return sendText(response, 429, 'Too many download links that do not work; try again later.', {
        'retry-after': String(retryAfter),
      });
    }
    const taken = links.take(pathOf(request).slice(DOWNLOAD_PATH_PREFIX.length));
    if (taken.outcome !== 'ok') {
      limiter.recordFailure(client);
      audit.record({
        event: 'download-link.refused',
        reason: taken.outcome,
        ...(taken.linkId === undefined ? {} : { linkId: taken.linkId }),
        ...('grant' in taken ? { host: taken.grant.host, device: taken.grant.device } : {}),
        client,
      });
      const refusal = REFUSALS[taken.outcome];
      return sendText(response, refusal.status, refusal.text);
    }
    const { linkId, grant } = taken;
    let file: ExportedFile;
    try {
      file = await deps.exportFile(grant, client);
    } catch (error) {
      const reason = error instanceof ContractCallError ? error.message : 'the file could not be made';
      if (!(error instanceof ContractCallError)) logger.error('download link: export failed', { linkId, error });
      audit.record({ event: 'download-link.refused', reason: 'failed', linkId, host: grant.host, client });
      return sendText(response, 409, `This download link cannot give its file: ${reason}. ${MAKE_ANOTHER}`);
    }
    audit.record({ event: 'download-link.used', linkId, host: grant.host, device: grant.device, client });
    const body = Buffer.from(file.contentBase64, 'base64');
    response.writeHead(200, {
      ...HEADERS,
      'content-type': file.mimeType,
      // The host name is [A-Za-z0-9._-] (HostNameSchema), safe inside the quotes.
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'content-length': body.length,
    });
    response.end(body);
  }

  return {
    handles: (request) => pathOf(request).startsWith(DOWNLOAD_PATH_PREFIX),
    handleRequest(request, response) {
      route(request, response).catch((error: unknown) => {
        logger.error('download link request failed', { error });
        if (!response.headersSent) sendText(response, 500, 'The download failed; see the gateway log.');
        else response.destroy();
      });
    },
  };
}

function sendText(response: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(`${text}\n`, 'utf8');
  response.writeHead(status, {
    ...HEADERS,
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
  });
  response.end(body);
}
