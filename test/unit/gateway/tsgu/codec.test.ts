import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decodeClientPacket,
  decodePaaCookie,
  encodeDataHeader,
  encodeDataPacket,
  encodeServerPacket,
  packetTypeName,
  type ClientPacket,
  type KnownClientPacket,
  type KnownServerPacket,
  type SharedPacket,
} from '../../../../main/gateway/tsgu/codec.ts';
import {
  decodeServerPacket,
  encodeClientPacket,
  encodePaaCookie,
  type ServerPacket,
} from '../../../helpers/tsgu-codec.ts';
import { HResult, MAX_DATA_PAYLOAD_BYTES, PacketType } from '../../../../main/gateway/tsgu/constants.ts';
import {
  TsguBadCookieError,
  TsguDecodeError,
  TsguEncodeError,
  TsguError,
} from '../../../../main/gateway/tsgu/errors.ts';
import {
  CHANNEL_CREATE,
  DATA,
  HANDSHAKE_REQUEST,
  TSGU_FIXTURES,
  TUNNEL_AUTH,
  TUNNEL_CREATE,
  fromHex,
  type TsguFixture,
} from '../../../fixtures/tsgu-packets.ts';

/** Decodes with every decoder the fixture's direction calls for. */
function decodersFor(fixture: TsguFixture): Array<(buf: Buffer) => ClientPacket | ServerPacket> {
  if (fixture.direction === 'client') return [decodeClientPacket];
  if (fixture.direction === 'server') return [decodeServerPacket];
  return [decodeClientPacket, decodeServerPacket];
}

/** Encodes with every encoder the fixture's direction calls for. */
function encodersFor(fixture: TsguFixture): Array<() => Buffer> {
  const client = (): Buffer => encodeClientPacket(fixture.packet as KnownClientPacket);
  const server = (): Buffer => encodeServerPacket(fixture.packet as KnownServerPacket);
  if (fixture.direction === 'client') return [client];
  if (fixture.direction === 'server') return [server];
  return [client, server];
}

/** Copy of `buf` with packetLength rewritten (to exercise body checks past the length check). */
function withPacketLength(buf: Buffer, packetLength: number): Buffer {
  const copy = Buffer.from(buf);
  copy.writeUInt32LE(packetLength, 4);
  return copy;
}

/** Asserts `fn` throws an instance of `ErrorClass` with the given hresult and a message matching `message`. */
function assertTsguError(
  fn: () => unknown,
  ErrorClass: new (...args: never[]) => TsguError,
  hresult: number,
  message: RegExp | string,
): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${String(err)}`);
    assert.equal(err.hresult, hresult, `hresult of "${err.message}"`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('codec: the fixtures of one whole connection (test/fixtures/tsgu-packets.ts)', () => {
  for (const fixture of TSGU_FIXTURES) {
    it(`decodes ${fixture.name} byte for byte`, () => {
      for (const decode of decodersFor(fixture)) {
        assert.deepStrictEqual(decode(fromHex(fixture.hex)), fixture.packet);
      }
    });

    it(`encodes ${fixture.name} byte for byte`, () => {
      for (const encode of encodersFor(fixture)) {
        assert.equal(encode().toString('hex'), fromHex(fixture.hex).toString('hex'));
      }
    });
  }
});

const CLIENT_PACKETS: readonly KnownClientPacket[] = [
  { type: 'handshake-request', verMajor: 1, verMinor: 0, clientVersion: 0, extendedAuth: 0 },
  { type: 'handshake-request', verMajor: 255, verMinor: 7, clientVersion: 0xffff, extendedAuth: 0x0f },
  { type: 'tunnel-create', capsFlags: 0 },
  { type: 'tunnel-create', capsFlags: 0x3f, reauthTunnelContext: 0xfedcba9876543210n },
  { type: 'tunnel-create', capsFlags: 0x0d, paaCookie: encodePaaCookie('eyJhbGciOiJFZERTQSJ9.e30.sig') },
  { type: 'tunnel-create', capsFlags: 0xffffffff, reauthTunnelContext: 1n, paaCookie: Buffer.alloc(0) },
  { type: 'tunnel-auth', clientName: 'PC1' },
  { type: 'tunnel-auth', clientName: '', statementOfHealth: Buffer.from([1, 2, 3, 4]) },
  { type: 'tunnel-auth', clientName: 'Zoë-Laptop-😀', statementOfHealth: Buffer.alloc(0) },
  { type: 'channel-create', resources: ['srv1'], altResources: [], port: 3389, protocol: 3 },
  {
    type: 'channel-create',
    resources: ['host.example', '192.0.2.10', '[2001:db8::1]'],
    altResources: ['alt-1', 'ältér'],
    port: 65535,
    protocol: 3,
  },
  { type: 'channel-create', resources: [], altResources: [], port: 0, protocol: 0 },
];

const SERVER_PACKETS: readonly KnownServerPacket[] = [
  { type: 'handshake-response', errorCode: 0, verMajor: 1, verMinor: 0, serverVersion: 1, extendedAuth: 2 },
  {
    type: 'handshake-response',
    errorCode: HResult.E_PROXY_CAPABILITYMISMATCH,
    verMajor: 0,
    verMinor: 0,
    serverVersion: 0,
    extendedAuth: 0,
  },
  { type: 'tunnel-response', serverVersion: 1, statusCode: 0, tunnelId: 0xffffffff },
  { type: 'tunnel-response', serverVersion: 0, statusCode: 0, capsFlags: 0x3f },
  { type: 'tunnel-response', serverVersion: 0, statusCode: 0, consentMessage: 'Be nice. ✓' },
  { type: 'tunnel-response', serverVersion: 0, statusCode: 0, tunnelId: 10, capsFlags: 2, consentMessage: '' },
  { type: 'tunnel-auth-response', errorCode: HResult.ERROR_ACCESS_DENIED },
  { type: 'tunnel-auth-response', errorCode: 0, redirFlags: 0x4000001f },
  { type: 'tunnel-auth-response', errorCode: 0, idleTimeoutMinutes: 30, sohResponse: Buffer.from('soh') },
  { type: 'channel-response', errorCode: HResult.E_PROXY_TS_CONNECTFAILED },
  { type: 'channel-response', errorCode: 0, udpPort: 3391 },
  { type: 'channel-response', errorCode: 0, authnCookie: Buffer.from([9, 8, 7]) },
  { type: 'channel-response', errorCode: 0, channelId: 1, udpPort: 3391, authnCookie: Buffer.from([0xaa]) },
  { type: 'service-message', message: 'Maintenance at 22:00' },
  { type: 'service-message', message: '' },
  { type: 'reauth', reauthTunnelContext: 0n },
  { type: 'reauth', reauthTunnelContext: 0xffffffffffffffffn },
];

const SHARED_PACKETS: readonly SharedPacket[] = [
  { type: 'data', data: Buffer.from([0x03]) },
  { type: 'data', data: Buffer.alloc(MAX_DATA_PAYLOAD_BYTES, 0x5a) },
  { type: 'keepalive' },
  { type: 'close-channel', statusCode: HResult.E_PROXY_SESSIONTIMEOUT },
  { type: 'close-channel-response', statusCode: 0 },
  { type: 'extended-auth', errorCode: 0, blob: Buffer.alloc(0) },
  { type: 'extended-auth', errorCode: HResult.SEC_E_LOGON_DENIED, blob: Buffer.from('NTLMSSP\0') },
];

function describePacket(p: { type: string }): string {
  const text = JSON.stringify(p, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

describe('codec: round trips', () => {
  for (const packet of CLIENT_PACKETS) {
    it(`client ${describePacket(packet)}`, () => {
      const bytes = encodeClientPacket(packet);
      assert.equal(bytes.readUInt32LE(4), bytes.length);
      const decoded = decodeClientPacket(bytes);
      assert.deepStrictEqual(decoded, packet);
      assert.deepStrictEqual(encodeClientPacket(decoded), bytes);
    });
  }

  for (const packet of SERVER_PACKETS) {
    it(`server ${describePacket(packet)}`, () => {
      const bytes = encodeServerPacket(packet);
      assert.equal(bytes.readUInt32LE(4), bytes.length);
      const decoded = decodeServerPacket(bytes);
      assert.deepStrictEqual(decoded, packet);
      assert.deepStrictEqual(encodeServerPacket(decoded), bytes);
    });
  }

  for (const packet of SHARED_PACKETS) {
    it(`both ways ${describePacket(packet)}`, () => {
      const fromClient = encodeClientPacket(packet);
      const fromServer = encodeServerPacket(packet);
      assert.deepStrictEqual(fromClient, fromServer);
      assert.deepStrictEqual(decodeClientPacket(fromClient), packet);
      assert.deepStrictEqual(decodeServerPacket(fromServer), packet);
    });
  }
});

describe('codec: wire details', () => {
  it('writes the channel response optional fields as channelId, udpPort, authnCookie (not bit order)', () => {
    const bytes = encodeServerPacket({
      type: 'channel-response',
      errorCode: 0,
      channelId: 1,
      udpPort: 0x0d3f,
      authnCookie: Buffer.from([0xaa, 0xbb]),
    });
    assert.equal(
      bytes.toString('hex'),
      fromHex('09 00 00 00 1a 00 00 00 | 00 00 00 00 | 07 00 | 00 00 | 01 00 00 00 | 3f 0d | 02 00 aa bb').toString(
        'hex',
      ),
    );
  });

  it('reads a tunnel create with the reauth context before the PAA cookie', () => {
    const bytes = fromHex(
      '04 00 00 00 22 00 00 00 | 0d 00 00 00 | 03 00 | 00 00 | 08 07 06 05 04 03 02 01 | 08 00 | 61 00 62 00 63 00 00 00',
    );
    assert.deepStrictEqual(decodeClientPacket(bytes), {
      type: 'tunnel-create',
      capsFlags: 0x0d,
      reauthTunnelContext: 0x0102030405060708n,
      paaCookie: fromHex('61 00 62 00 63 00 00 00'),
    });
    assert.deepStrictEqual(encodeClientPacket(decodeClientPacket(bytes) as KnownClientPacket), bytes);
  });

  it('ignores the reserved header field on decode and writes it as 0', () => {
    const bytes = fromHex(HANDSHAKE_REQUEST.hex);
    bytes.writeUInt16LE(0xbeef, 2);
    assert.deepStrictEqual(decodeClientPacket(bytes), HANDSHAKE_REQUEST.packet);
    assert.equal(encodeClientPacket(HANDSHAKE_REQUEST.packet as KnownClientPacket).readUInt16LE(2), 0);
  });

  it('strips any number of trailing NULs from strings, and accepts none', () => {
    for (const nuls of [0, 1, 3]) {
      const name = Buffer.concat([Buffer.from('PC1', 'utf16le'), Buffer.alloc(2 * nuls)]);
      const bytes = Buffer.alloc(12 + name.length);
      bytes.writeUInt16LE(PacketType.TUNNEL_AUTH, 0);
      bytes.writeUInt32LE(bytes.length, 4);
      bytes.writeUInt16LE(name.length, 10);
      name.copy(bytes, 12);
      assert.deepStrictEqual(decodeClientPacket(bytes), { type: 'tunnel-auth', clientName: 'PC1' });
    }
  });

  it('appends exactly one NUL to strings it encodes', () => {
    const bytes = encodeServerPacket({ type: 'service-message', message: 'hi' });
    assert.equal(bytes.toString('hex'), fromHex('0b 00 00 00 10 00 00 00 | 06 00 | 68 00 69 00 00 00').toString('hex'));
  });

  it('returns DATA payloads as views into the packet, without copying', () => {
    const bytes = fromHex(DATA.hex);
    const decoded = decodeClientPacket(bytes);
    assert.equal(decoded.type, 'data');
    if (decoded.type === 'data') {
      assert.equal(decoded.data.buffer, bytes.buffer);
      assert.equal(decoded.data.byteOffset, bytes.byteOffset + 10);
    }
  });

  it('names packet types for logs', () => {
    assert.equal(packetTypeName(PacketType.TUNNEL_CREATE), 'TUNNEL_CREATE');
    assert.equal(packetTypeName(0x0e), 'PKT_TYPE_0x000E');
  });
});

describe('codec: FreeRDP-style PAA cookie', () => {
  // Built by hand, not with our encoder: UTF-16LE token plus NUL, packetLength = 16 + 2 + cbLen, as FreeRDP 2.11 sends.
  const token = 'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJqdGkiOiIxMjMifQ.c2lnbmF0dXJl';
  const cookie = Buffer.from(`${token}\0`, 'utf16le');
  const packet = Buffer.alloc(16 + 2 + cookie.length);
  packet.writeUInt16LE(PacketType.TUNNEL_CREATE, 0);
  packet.writeUInt32LE(packet.length, 4);
  packet.writeUInt32LE(0x0d, 8); // QUAR_SOH | CONSENT_SIGN | SERVICE_MSG, as FreeRDP sends
  packet.writeUInt16LE(0x1, 12); // PAA_COOKIE
  packet.writeUInt16LE(cookie.length, 16);
  cookie.copy(packet, 18);

  it('decodes to the raw blob and then to the token', () => {
    assert.equal(packet.length, 16 + 2 + 2 * (token.length + 1));
    const decoded = decodeClientPacket(packet);
    assert.deepStrictEqual(decoded, { type: 'tunnel-create', capsFlags: 0x0d, paaCookie: cookie });
    assert.equal(decoded.type === 'tunnel-create' && decoded.paaCookie && decodePaaCookie(decoded.paaCookie), token);
  });

  it('matches what encodePaaCookie produces', () => {
    assert.deepStrictEqual(encodePaaCookie(token), cookie);
    assert.deepStrictEqual(encodeClientPacket({ type: 'tunnel-create', capsFlags: 0x0d, paaCookie: cookie }), packet);
  });

  it('accepts a cookie without the NUL (MSTSC unconfirmed) and with several', () => {
    assert.equal(decodePaaCookie(Buffer.from(token, 'utf16le')), token);
    assert.equal(decodePaaCookie(Buffer.from(`${token}\0\0\0`, 'utf16le')), token);
  });
});

describe('codec: malformed packets', () => {
  describe('truncated at every length', () => {
    for (const fixture of TSGU_FIXTURES) {
      it(fixture.name, () => {
        const full = fromHex(fixture.hex);
        for (const decode of decodersFor(fixture)) {
          for (let length = 0; length < full.length; length++) {
            const truncated = full.subarray(0, length);
            // As received: the header's packetLength no longer matches.
            assert.throws(
              () => decode(truncated),
              (err: unknown) =>
                err instanceof TsguDecodeError &&
                err.hresult === HResult.E_PROXY_INTERNALERROR &&
                err.packetType === (length >= 2 ? full.readUInt16LE(0) : undefined) &&
                /packet header needs 8 bytes|packetLength \d+ does not match/.test(err.message),
              `${fixture.name} cut at ${length}`,
            );
            if (length < 8) continue;
            // With packetLength patched to fit, the body checks must catch the missing field.
            const patched = withPacketLength(truncated, length);
            assert.throws(
              () => decode(patched),
              (err: unknown) => {
                assert.ok(err instanceof TsguDecodeError, String(err));
                assert.equal(err.packetType, full.readUInt16LE(0));
                assert.match(err.message, /^[A-Z_]+: [a-zA-Z[\]0-9.]+ /, err.message);
                const inCookie = fixture === TUNNEL_CREATE && length >= 16;
                assert.equal(err instanceof TsguBadCookieError, inCookie, err.message);
                assert.equal(
                  err.hresult,
                  inCookie ? HResult.E_PROXY_COOKIE_BADPACKET : HResult.E_PROXY_INTERNALERROR,
                  err.message,
                );
                return true;
              },
              `${fixture.name} cut at ${length} with packetLength patched`,
            );
          }
        }
      });
    }
  });

  it('rejects a packetLength that does not match the buffer', () => {
    const bytes = fromHex(HANDSHAKE_REQUEST.hex);
    assertTsguError(
      () => decodeClientPacket(withPacketLength(bytes, 15)),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'HANDSHAKE_REQUEST: packetLength 15 does not match the 14 bytes given',
    );
    assertTsguError(
      () => decodeClientPacket(withPacketLength(bytes, 4)),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'HANDSHAKE_REQUEST: packetLength 4 does not match the 14 bytes given',
    );
  });

  it('rejects trailing garbage after the last field', () => {
    const bytes = Buffer.concat([fromHex(HANDSHAKE_REQUEST.hex), Buffer.from([0])]);
    assertTsguError(
      () => decodeClientPacket(withPacketLength(bytes, 15)),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'HANDSHAKE_REQUEST: 1 unexpected trailing byte after extendedAuth',
    );
    const close = fromHex('10 00 00 00 14 00 00 00 | 00 00 00 00 | 01 00 00 00 01 00 00 00');
    assertTsguError(
      () => decodeServerPacket(close),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'CLOSE_CHANNEL: 8 unexpected trailing bytes after statusCode',
    );
  });

  it('rejects a PAA cookie cbLen that overruns the packet with E_PROXY_COOKIE_BADPACKET', () => {
    const bytes = fromHex(TUNNEL_CREATE.hex);
    bytes.writeUInt16LE(40, 16);
    assertTsguError(
      () => decodeClientPacket(bytes),
      TsguBadCookieError,
      HResult.E_PROXY_COOKIE_BADPACKET,
      'TUNNEL_CREATE: paaCookie.cbLen 40 exceeds the 8 bytes left',
    );
    // With the PAA flag but no room for cbLen at all.
    const noLength = fromHex('04 00 00 00 10 00 00 00 | 0d 00 00 00 | 01 00 | 00 00');
    assertTsguError(
      () => decodeClientPacket(noLength),
      TsguBadCookieError,
      HResult.E_PROXY_COOKIE_BADPACKET,
      'TUNNEL_CREATE: paaCookie.cbLen needs 2 bytes, 0 left',
    );
  });

  it('rejects other cbLen overruns with E_PROXY_INTERNALERROR, naming the field', () => {
    const auth = fromHex(TUNNEL_AUTH.hex);
    auth.writeUInt16LE(10, 10);
    assertTsguError(
      () => decodeClientPacket(auth),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'TUNNEL_AUTH: clientName.cbLen 10 exceeds the 8 bytes left',
    );
    const channel = fromHex(CHANNEL_CREATE.hex);
    channel.writeUInt8(2, 8); // numResources = 2, but only one name is there
    assertTsguError(
      () => decodeClientPacket(channel),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'CHANNEL_CREATE: resources[1].cbLen needs 2 bytes, 0 left',
    );
  });

  it('rejects malformed PAA cookie text with E_PROXY_COOKIE_BADPACKET', () => {
    const cases: ReadonlyArray<[Buffer, string]> = [
      [
        Buffer.from([0x61, 0x00, 0x62]),
        'TUNNEL_CREATE: paaCookie.cbLen 3 is odd; UTF-16LE needs whole 2-byte code units',
      ],
      [Buffer.from('ab\0cd\0', 'utf16le'), 'TUNNEL_CREATE: paaCookie has an embedded NUL at code unit 2'],
      [Buffer.from('ab\ud800c', 'utf16le'), 'TUNNEL_CREATE: paaCookie has a lone surrogate at code unit 2'],
      [Buffer.from('\udc00', 'utf16le'), 'TUNNEL_CREATE: paaCookie has a lone surrogate at code unit 0'],
      [Buffer.alloc(0), 'TUNNEL_CREATE: paaCookie is empty'],
      [Buffer.alloc(4), 'TUNNEL_CREATE: paaCookie is empty'],
    ];
    for (const [blob, message] of cases) {
      assertTsguError(() => decodePaaCookie(blob), TsguBadCookieError, HResult.E_PROXY_COOKIE_BADPACKET, message);
    }
    assert.equal(decodePaaCookie(Buffer.from('a😀b', 'utf16le')), 'a😀b');
  });

  it('rejects strings with an odd byte count or an embedded NUL', () => {
    const odd = fromHex('06 00 00 00 13 00 00 00 | 00 00 | 07 00 | 50 00 43 00 31 00 00');
    assertTsguError(
      () => decodeClientPacket(odd),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'TUNNEL_AUTH: clientName.cbLen 7 is odd; UTF-16LE needs whole 2-byte code units',
    );
    // "srv\0evil": a policy check and a DNS lookup could see different names.
    const name = Buffer.from('srv\0evil\0', 'utf16le');
    const channel = Buffer.alloc(16 + name.length);
    channel.writeUInt16LE(PacketType.CHANNEL_CREATE, 0);
    channel.writeUInt32LE(channel.length, 4);
    channel.writeUInt8(1, 8);
    channel.writeUInt16LE(3389, 10);
    channel.writeUInt16LE(3, 12);
    channel.writeUInt16LE(name.length, 14);
    name.copy(channel, 16);
    assertTsguError(
      () => decodeClientPacket(channel),
      TsguDecodeError,
      HResult.E_PROXY_INTERNALERROR,
      'CHANNEL_CREATE: resources[0] has an embedded NUL at code unit 3',
    );
  });

  it('rejects a DATA cbDataLen that disagrees with packetLength − 10', () => {
    for (const cbDataLen of [0, 2, 4, 0xffff]) {
      const bytes = fromHex(DATA.hex);
      bytes.writeUInt16LE(cbDataLen, 8);
      assertTsguError(
        () => decodeClientPacket(bytes),
        TsguDecodeError,
        HResult.E_PROXY_INTERNALERROR,
        `DATA: cbDataLen ${cbDataLen} does not match the 3 payload bytes (packetLength − 10)`,
      );
    }
  });

  it('accepts a zero-length DATA packet from a peer (it carries nothing)', () => {
    assert.deepStrictEqual(decodeClientPacket(fromHex('0a 00 00 00 0a 00 00 00 00 00')), {
      type: 'data',
      data: Buffer.alloc(0),
    });
  });

  it('refuses a tunnel response with SOH_REQ, whose layout clients disagree on', () => {
    const bytes = fromHex('05 00 00 00 12 00 00 00 | 00 00 | 00 00 00 00 | 04 00 | 00 00');
    assertTsguError(() => decodeServerPacket(bytes), TsguDecodeError, HResult.E_PROXY_INTERNALERROR, /SOH_REQ/);
  });

  it('reports the packet type it could read for a short header', () => {
    assert.throws(
      () => decodeClientPacket(Buffer.from([0x04])),
      (err: unknown) => err instanceof TsguDecodeError && err.packetType === undefined,
    );
    assert.throws(
      () => decodeClientPacket(Buffer.from([0x04, 0x00, 0x00])),
      (err: unknown) => err instanceof TsguDecodeError && err.packetType === PacketType.TUNNEL_CREATE,
    );
  });
});

describe('codec: unknown packet types', () => {
  it('decodes unknown types to { type: "unknown" } without throwing', () => {
    assert.deepStrictEqual(decodeClientPacket(fromHex('0e 00 00 00 08 00 00 00')), {
      type: 'unknown',
      packetType: 0x0e,
      length: 8,
    });
    assert.deepStrictEqual(decodeServerPacket(fromHex('34 12 00 00 0b 00 00 00 01 02 03')), {
      type: 'unknown',
      packetType: 0x1234,
      length: 11,
    });
  });

  it('treats packets only the other side sends as unknown', () => {
    assert.deepStrictEqual(
      decodeClientPacket(encodeServerPacket({ type: 'service-message', message: 'x' })).type,
      'unknown',
    );
    assert.deepStrictEqual(decodeClientPacket(fromHex('02 00 00 00 12 00 00 00 00 00 00 00 01 00 00 00 02 00')), {
      type: 'unknown',
      packetType: PacketType.HANDSHAKE_RESPONSE,
      length: 18,
    });
    assert.equal(decodeServerPacket(fromHex(TUNNEL_CREATE.hex)).type, 'unknown');
  });

  it('still checks packetLength of unknown packets', () => {
    assert.throws(() => decodeClientPacket(fromHex('0e 00 00 00 09 00 00 00')), TsguDecodeError);
  });
});

describe('codec: encoding', () => {
  it('encodes DATA with one header and the payload', () => {
    const payload = Buffer.from([3, 0, 0]);
    assert.equal(encodeDataPacket(payload).toString('hex'), fromHex(DATA.hex).toString('hex'));
    assert.deepStrictEqual(Buffer.concat([encodeDataHeader(payload.length), payload]), encodeDataPacket(payload));
    const max = encodeDataPacket(Buffer.alloc(MAX_DATA_PAYLOAD_BYTES, 1));
    assert.equal(max.length, 65545);
    assert.equal(max.readUInt32LE(4), 65545);
    assert.equal(max.readUInt16LE(8), 65535);
  });

  it('refuses empty and oversize DATA payloads', () => {
    const cases: ReadonlyArray<[() => unknown, string]> = [
      [() => encodeDataPacket(Buffer.alloc(0)), 'DATA: payload of 0 bytes is outside 1..65535'],
      [() => encodeDataPacket(Buffer.alloc(65536)), 'DATA: payload of 65536 bytes is outside 1..65535'],
      [
        () => encodeServerPacket({ type: 'data', data: Buffer.alloc(0) }),
        'DATA: payload of 0 bytes is outside 1..65535',
      ],
      [() => encodeDataHeader(0), 'DATA: payload of 0 bytes is outside 1..65535'],
      [() => encodeDataHeader(65536), 'DATA: payload of 65536 bytes is outside 1..65535'],
      [() => encodeDataHeader(1.5), 'DATA: payload of 1.5 bytes is outside 1..65535'],
    ];
    for (const [fn, message] of cases) {
      assertTsguError(fn, TsguEncodeError, HResult.E_PROXY_INTERNALERROR, message);
    }
  });

  it('refuses values that do not fit their fields, naming the field', () => {
    const cases: ReadonlyArray<[() => unknown, string]> = [
      [
        () =>
          encodeClientPacket({ type: 'channel-create', resources: ['a'], altResources: [], port: 70000, protocol: 3 }),
        'CHANNEL_CREATE: port 70000 is not a u16',
      ],
      [
        () =>
          encodeClientPacket({
            type: 'channel-create',
            resources: Array.from({ length: 256 }, () => 'h'),
            altResources: [],
            port: 1,
            protocol: 3,
          }),
        'CHANNEL_CREATE: numResources 256 is not a u8',
      ],
      [
        () => encodeServerPacket({ type: 'channel-response', errorCode: -1 }),
        'CHANNEL_RESPONSE: errorCode -1 is not a u32',
      ],
      [
        () => encodeServerPacket({ type: 'reauth', reauthTunnelContext: -1n }),
        'REAUTH: reauthTunnelContext -1 is not a u64',
      ],
      [
        () => encodeClientPacket({ type: 'tunnel-auth', clientName: 'a\0b' }),
        'TUNNEL_AUTH: clientName has an embedded NUL at code unit 1',
      ],
      [
        () => encodeServerPacket({ type: 'service-message', message: 'x'.repeat(32767) }),
        'SERVICE_MESSAGE: message needs 65536 bytes, more than a u16 cbLen can count',
      ],
      [
        () => encodeClientPacket({ type: 'tunnel-create', capsFlags: 0, paaCookie: Buffer.alloc(65536) }),
        'TUNNEL_CREATE: paaCookie.cbLen 65536 is not a u16',
      ],
      [() => encodePaaCookie(''), 'TUNNEL_CREATE: paaCookie is empty'],
      [() => encodePaaCookie('\ud800'), 'TUNNEL_CREATE: paaCookie has a lone surrogate at code unit 0'],
    ];
    for (const [fn, message] of cases) {
      assertTsguError(fn, TsguEncodeError, HResult.E_PROXY_INTERNALERROR, message);
    }
  });

  it('encodes the longest string a u16 cbLen can count', () => {
    const message = 'x'.repeat(32766);
    const bytes = encodeServerPacket({ type: 'service-message', message });
    assert.equal(bytes.readUInt16LE(8), 65534);
    assert.deepStrictEqual(decodeServerPacket(bytes), { type: 'service-message', message });
  });
});

describe('errors', () => {
  it('carry a stable code, a name and the wire hresult', () => {
    const decode = new TsguDecodeError('x', { packetType: PacketType.TUNNEL_AUTH });
    assert.ok(decode instanceof TsguError && decode instanceof Error);
    assert.equal(decode.code, 'ERR_TSGU_DECODE');
    assert.equal(decode.name, 'TsguDecodeError');
    assert.equal(decode.hresult, HResult.E_PROXY_INTERNALERROR);
    const cookie = new TsguBadCookieError('y');
    assert.ok(cookie instanceof TsguDecodeError);
    assert.equal(cookie.code, 'ERR_TSGU_BAD_PAA_COOKIE');
    assert.equal(cookie.packetType, PacketType.TUNNEL_CREATE);
    assert.equal(cookie.hresult, HResult.E_PROXY_COOKIE_BADPACKET);
    assert.equal(TsguBadCookieError.code, 'ERR_TSGU_BAD_PAA_COOKIE');
  });
});
