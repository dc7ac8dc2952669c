import { lookupStaticFile, type StaticFiles } from '../web/static-files.ts';
import { APP_CSP_HEADER, APP_HOST, APP_SCHEME } from './window-options.ts';

/**
 * Answers the window's requests on our scheme from the allowlist of built files (the same one the web admin uses):
 * GET only, our host only, an exact path match, a CSP header on everything. Plain Node (the global Request and
 * Response), so tests run it; boot.ts hands it to `protocol.handle`.
 */
export function createAppProtocolHandler(files: StaticFiles): (request: Request) => Response {
  return (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return notFound();
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return notFound();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const file = lookupStaticFile(files, url.pathname.replace(/^\//, ''));
    if (!file) return notFound();
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), {
      status: 200,
      headers: {
        'content-type': file.contentType,
        'content-security-policy': APP_CSP_HEADER,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
    });
  };
}

function notFound(): Response {
  return new Response(null, { status: 404 });
}
