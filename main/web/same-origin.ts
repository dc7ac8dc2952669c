import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Why a request is not from a page of this very origin, or undefined when it is. Origin must be present and name the
 * host the request was sent to (https; http only on the plain listener behind a TLS-terminating proxy); a browser's
 * Sec-Fetch-Site, when sent, must agree. Behind a reverse proxy, the proxy must pass the Host header through.
 */
export function crossOriginRefusal(request: IncomingMessage): string | undefined {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return `Sec-Fetch-Site is ${String(fetchSite)}`;
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (origin === undefined || origin === 'null') return 'no Origin header';
  if (host === undefined) return 'no Host header';
  let originUrl: URL;
  let hostUrl: URL;
  try {
    originUrl = new URL(origin);
    hostUrl = new URL(`${originUrl.protocol}//${host}`);
  } catch {
    return 'the Origin or Host header is not valid';
  }
  const encrypted = (request.socket as Partial<TLSSocket>).encrypted === true;
  const schemeOk = originUrl.protocol === 'https:' || (!encrypted && originUrl.protocol === 'http:');
  if (!schemeOk) return `Origin scheme ${originUrl.protocol} is not allowed here`;
  if (originUrl.origin !== `${originUrl.protocol}//${hostUrl.host}`) return 'Origin does not match Host';
  return undefined;
}
