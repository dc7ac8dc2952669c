import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findHeadEnd,
  headerHasToken,
  MAX_HEADER_COUNT,
  MAX_REQUEST_HEAD_BYTES,
  parseRequestHead,
  RequestHeadError,
  type RequestHead,
} from '../../../../main/gateway/http/request-head.ts';
import { isAcceptableWebSocketKey } from '../../../../main/gateway/transport/websocket.ts';

/** FreeRDP 2.11's WebSocket upgrade request as observed (MS-TSGU 2.2.3; the key is not base64), in order. */
const FREERDP_KEY = 'SRRXHF\\IRPBZZ[_';
const FREERDP_UPGRADE = [
  'RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1',
  'Pragma: no-cache',
  'Connection: Upgrade',
  'Upgrade: websocket',
  'Sec-Websocket-Version: 13',
  `Sec-Websocket-Key: ${FREERDP_KEY}`,
  'Content-Length: 0',
  'Host: gw.home.example:8443',
  'Accept: */*',
  'Cache-Control: no-cache',
  'User-Agent: MS-RDGateway/1.0',
  'RDG-Connection-Id: {3F2504E0-4F89-11D3-9A0C-0305E82C3301}',
  'RDG-Correlation-Id: {7C9E6679-7425-40DE-944B-E07FC1F90AE7}',
  'RDG-Auth-Scheme: PAA',
  '',
  '',
].join('\r\n');

function head(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function parse(...lines: string[]): RequestHead {
  return parseRequestHead(head(...lines));
}

function assertStatus(fn: () => unknown, status: 400 | 431 | 505, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RequestHeadError, `expected a RequestHeadError, got ${String(error)}`);
    assert.equal(error.status, status, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('parseRequestHead: FreeRDP upgrade request', () => {
  it('parses the custom method, the target, the version and every header', () => {
    const request = parseRequestHead(Buffer.from(FREERDP_UPGRADE, 'latin1'));
    assert.equal(request.method, 'RDG_OUT_DATA');
    assert.equal(request.target, '/remoteDesktopGateway/');
    assert.equal(request.version, 'HTTP/1.1');
    assert.equal(request.headers.size, 13);
    assert.equal(request.headers.get('connection'), 'Upgrade');
    assert.equal(request.headers.get('upgrade'), 'websocket');
    assert.equal(request.headers.get('sec-websocket-version'), '13');
    assert.equal(request.headers.get('content-length'), '0');
    assert.equal(request.headers.get('host'), 'gw.home.example:8443');
    assert.equal(request.headers.get('rdg-connection-id'), '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}');
    assert.equal(request.headers.get('rdg-auth-scheme'), 'PAA');
  });

  it('keeps the non-base64 Sec-WebSocket-Key exactly as sent, and accepts it', () => {
    const key = parseRequestHead(Buffer.from(FREERDP_UPGRADE, 'latin1')).headers.get('sec-websocket-key');
    assert.equal(key, FREERDP_KEY);
    assert.equal(key?.length, 15);
    assert.ok(isAcceptableWebSocketKey(key));
  });

  it('parses the legacy channel requests', () => {
    const request = parse('RDG_IN_DATA /remoteDesktopGateway/ HTTP/1.1', 'Transfer-Encoding: chunked');
    assert.equal(request.method, 'RDG_IN_DATA');
    assert.equal(request.headers.get('transfer-encoding'), 'chunked');
  });

  it('accepts HTTP/1.0, a query string and a head without headers', () => {
    const request = parse('GET /api/status?verbose=1&x=%20 HTTP/1.0');
    assert.equal(request.version, 'HTTP/1.0');
    assert.equal(request.target, '/api/status?verbose=1&x=%20');
    assert.equal(request.headers.size, 0);
  });
});

describe('findHeadEnd', () => {
  const bytes = Buffer.from(FREERDP_UPGRADE, 'latin1');

  it('needs more bytes until the blank line has fully arrived, at every split offset', () => {
    for (let n = 0; n <= bytes.length; n++) {
      const expected = n < bytes.length ? -1 : bytes.length;
      assert.equal(findHeadEnd(bytes.subarray(0, n)), expected, `after ${n} of ${bytes.length} bytes`);
    }
  });

  it('returns the offset just past the blank line, leaving bytes that follow the head (a first frame) alone', () => {
    const frame = Buffer.from([0x82, 0x8e, 1, 2, 3, 4]);
    const buffer = Buffer.concat([bytes, frame]);
    const end = findHeadEnd(buffer);
    assert.equal(end, bytes.length);
    assert.deepStrictEqual(buffer.subarray(end), frame);
    assert.equal(parseRequestHead(buffer.subarray(0, end)).method, 'RDG_OUT_DATA');
  });

  it('does not take a lone LF LF or CR CR for the end of the head', () => {
    assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.1\n\nHost: x\r\r')), -1);
  });

  it('answers 431 once the head is longer than the limit without ending', () => {
    assert.equal(findHeadEnd(Buffer.alloc(MAX_REQUEST_HEAD_BYTES - 1, 0x61)), -1);
    assertStatus(() => findHeadEnd(Buffer.alloc(MAX_REQUEST_HEAD_BYTES, 0x61)), 431);
    assertStatus(() => findHeadEnd(Buffer.alloc(100, 0x61), 100), 431);
  });

  it('accepts a head that ends exactly at the limit, and refuses one that ends past it', () => {
    const exact = Buffer.concat([Buffer.alloc(96, 0x61), Buffer.from('\r\n\r\n')]);
    assert.equal(findHeadEnd(exact, 100), 100);
    const over = Buffer.concat([Buffer.alloc(97, 0x61), Buffer.from('\r\n\r\n')]);
    assertStatus(() => findHeadEnd(over, 100), 431);
  });

  it('takes the default limit of 16 KiB', () => {
    assert.equal(MAX_REQUEST_HEAD_BYTES, 16 * 1024);
  });
});

describe('parseRequestHead: refusals', () => {
  const badRequestLines: ReadonlyArray<readonly [string, string]> = [
    ['two parts', 'RDG_OUT_DATA /remoteDesktopGateway/'],
    ['four parts', 'GET / HTTP/1.1 extra'],
    ['a double space', 'GET  / HTTP/1.1'],
    ['a leading space', ' GET / HTTP/1.1'],
    ['a tab separator', 'GET\t/ HTTP/1.1'],
    ['an empty line', ''],
  ];
  for (const [label, line] of badRequestLines) {
    it(`answers 400 to a request line with ${label}`, () => {
      assertStatus(() => parse(line, 'Host: x'), 400);
    });
  }

  for (const method of ['GE(T', 'G"T', 'GET/', 'MÉTHODE', 'G\0T']) {
    it(`answers 400 to the method ${JSON.stringify(method)}`, () => {
      assertStatus(() => parse(`${method} / HTTP/1.1`), 400, /method/);
    });
  }

  for (const target of ['*', 'remoteDesktopGateway/', 'http://gw/remoteDesktopGateway/', '/caf\u00e9', '/a\u007fb']) {
    it(`answers 400 to the target ${JSON.stringify(target)}`, () => {
      assertStatus(() => parse(`GET ${target} HTTP/1.1`), 400, /target/);
    });
  }

  it('answers 505 to HTTP/2.0 and other versions', () => {
    for (const version of ['HTTP/2.0', 'HTTP/2', 'HTTP/1.2', 'HTTP/0.9']) {
      assertStatus(() => parse(`GET / ${version}`), 505, new RegExp(version.replace('.', '\\.')));
    }
  });

  const badHeaders: ReadonlyArray<readonly [string, string]> = [
    ['a space before the colon (request smuggling)', 'Content-Length : 0'],
    ['a tab before the colon', 'Host\t: x'],
    ['no colon', 'Host x'],
    ['an empty name', ': value'],
    ['an obs-fold continuation line', ' continued'],
    ['a name with a slash', 'X/Y: 1'],
    ['a bare CR in the value', 'X-A: one\rtwo'],
    ['a bare LF in the value', 'X-A: one\ntwo'],
    ['a NUL in the value', 'X-A: one\0two'],
    // Found by fuzzing: trimmed away before the check, a bare LF at either end of a value was accepted.
    ['a bare LF leading the value', 'X-A: \nTransfer-Encoding: chunked'],
    ['a bare LF ending the value', 'X-A: one\n'],
  ];
  for (const [label, line] of badHeaders) {
    it(`answers 400 to a header with ${label}`, () => {
      assertStatus(() => parse('GET / HTTP/1.1', 'Host: gw', line), 400, /header/);
    });
  }

  it(`answers 431 to more than ${MAX_HEADER_COUNT} header fields`, () => {
    const headers = Array.from({ length: MAX_HEADER_COUNT }, (_, i) => `X-H${i}: ${i}`);
    assert.equal(parse('GET / HTTP/1.1', ...headers).headers.size, MAX_HEADER_COUNT);
    assertStatus(() => parse('GET / HTTP/1.1', ...headers, 'X-One-More: 1'), 431);
  });
});

describe('parseRequestHead: header values', () => {
  it('lower-cases names and trims optional white space around values', () => {
    const request = parse('GET / HTTP/1.1', 'X-Padded:   spaced out \t', 'X-Empty:', 'X-Colon: a: b');
    assert.equal(request.headers.get('x-padded'), 'spaced out');
    assert.equal(request.headers.get('x-empty'), '');
    assert.equal(request.headers.get('x-colon'), 'a: b');
  });

  it('trims only SP and HTAB (RFC 9110 optional white space), not VT, FF or NBSP', () => {
    const request = parseRequestHead(
      Buffer.from('GET / HTTP/1.1\r\nTransfer-Encoding:\xa0chunked\r\nX-A: \x0bone\x0c\r\n\r\n', 'latin1'),
    );
    assert.equal(request.headers.get('transfer-encoding'), '\u00a0chunked');
    assert.equal(request.headers.get('x-a'), '\x0bone\x0c');
  });

  it('joins repeated headers with ", " in order, whatever the case of their names', () => {
    const request = parse('GET / HTTP/1.1', 'Cookie: a=1', 'X-Other: z', 'cookie: b=2', 'COOKIE: c=3');
    assert.equal(request.headers.get('cookie'), 'a=1, b=2, c=3');
  });

  it('reads header bytes as latin1, so no byte is lost or merged', () => {
    const request = parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nX-Bytes: caf\xe9\r\n\r\n', 'latin1'));
    assert.equal(request.headers.get('x-bytes'), 'caf\u00e9');
  });
});

describe('headerHasToken', () => {
  it('finds a token in a comma-separated list, case-insensitively and ignoring white space', () => {
    assert.ok(headerHasToken('Upgrade', 'upgrade'));
    assert.ok(headerHasToken('keep-alive, Upgrade', 'upgrade'));
    assert.ok(headerHasToken('keep-alive ,  UPGRADE  ', 'Upgrade'));
    assert.ok(headerHasToken('websocket', 'WebSocket'));
  });

  it('matches whole tokens only', () => {
    assert.ok(!headerHasToken('Upgraded', 'upgrade'));
    assert.ok(!headerHasToken('no-upgrade', 'upgrade'));
    assert.ok(!headerHasToken('keep-alive', 'upgrade'));
    assert.ok(!headerHasToken('', 'upgrade'));
  });

  it('ignores only SP and HTAB around a token, not VT or FF', () => {
    assert.ok(headerHasToken('keep-alive,\tUpgrade', 'upgrade'));
    assert.ok(!headerHasToken('\x0bwebsocket', 'websocket'));
    assert.ok(!headerHasToken('keep-alive, Upgrade\x0c', 'upgrade'));
  });

  it('answers false for a missing header', () => {
    assert.ok(!headerHasToken(undefined, 'upgrade'));
  });
});
