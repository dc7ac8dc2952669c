/**
 * The client's half of the MS-TSGU codec, which only the tests' clients (tsgu-client.ts, legacy-client.ts) and the
 * codec's own tests need: client packets encoded, server packets decoded. The gateway's half, and the bounds-checked
 * reader and writer both halves use, are main/gateway/tsgu/codec.ts; the same decoding rules hold here.
 */
import {
  ChannelResponseField,
  PacketType,
  TunnelAuthField,
  TunnelAuthResponseField,
  TunnelPacketField,
  TunnelResponseField,
} from '../../main/gateway/tsgu/constants.ts';
import {
  type PacketReader,
  PacketWriter,
  blobBytes,
  decodeSharedPacket,
  encodeSharedPacket,
  encodeUtf16z,
  openPacket,
  type ChannelCreate,
  type ChannelResponse,
  type HandshakeRequest,
  type HandshakeResponse,
  type KnownClientPacket,
  type KnownServerPacket,
  type ReauthMessage,
  type ServiceMessage,
  type TunnelAuth,
  type TunnelAuthResponse,
  type TunnelCreate,
  type TunnelResponse,
  type UnknownPacket,
} from '../../main/gateway/tsgu/codec.ts';
import { TsguEncodeError } from '../../main/gateway/tsgu/errors.ts';

/** A packet a server sends, as a client decodes it. */
export type ServerPacket = KnownServerPacket | UnknownPacket;

/** Decodes one complete packet sent by a server. Throws TsguDecodeError. */
export function decodeServerPacket(buf: Buffer): ServerPacket {
  const { packetType, reader } = openPacket(buf);
  switch (packetType) {
    case PacketType.HANDSHAKE_RESPONSE:
      return decodeHandshakeResponse(reader);
    case PacketType.TUNNEL_RESPONSE:
      return decodeTunnelResponse(reader);
    case PacketType.TUNNEL_AUTH_RESPONSE:
      return decodeTunnelAuthResponse(reader);
    case PacketType.CHANNEL_RESPONSE:
      return decodeChannelResponse(reader);
    case PacketType.SERVICE_MESSAGE:
      return decodeServiceMessage(reader);
    case PacketType.REAUTH:
      return decodeReauthMessage(reader);
    default:
      return decodeSharedPacket(packetType, reader) ?? { type: 'unknown', packetType, length: buf.length };
  }
}

// HTTP_HANDSHAKE_RESPONSE_PACKET: header | u32 errorCode | u8 verMajor | u8 verMinor | u16 serverVersion
//   | u16 extendedAuth
function decodeHandshakeResponse(r: PacketReader): HandshakeResponse {
  const errorCode = r.u32('errorCode');
  const verMajor = r.u8('verMajor');
  const verMinor = r.u8('verMinor');
  const serverVersion = r.u16('serverVersion');
  const extendedAuth = r.u16('extendedAuth');
  r.end('extendedAuth');
  return { type: 'handshake-response', errorCode, verMajor, verMinor, serverVersion, extendedAuth };
}

// HTTP_TUNNEL_RESPONSE: header | u16 serverVersion | u32 statusCode | u16 fieldsPresent | u16 reserved
//   | [u32 tunnelId] | [u32 capsFlags] | [SOH_REQ: refused] | [u16 cbLen + consentMessage]
function decodeTunnelResponse(r: PacketReader): TunnelResponse {
  const serverVersion = r.u16('serverVersion');
  const statusCode = r.u32('statusCode');
  const fieldsPresent = r.u16('fieldsPresent');
  r.u16('reserved');
  let packet: TunnelResponse = { type: 'tunnel-response', serverVersion, statusCode };
  let last = 'reserved';
  if (fieldsPresent & TunnelResponseField.TUNNEL_ID) {
    packet = { ...packet, tunnelId: r.u32('tunnelId') };
    last = 'tunnelId';
  }
  if (fieldsPresent & TunnelResponseField.CAPS) {
    packet = { ...packet, capsFlags: r.u32('capsFlags') };
    last = 'capsFlags';
  }
  if (fieldsPresent & TunnelResponseField.SOH_REQ) {
    // FreeRDP and IronRDP disagree on this field's layout; we never send it, so we refuse to guess.
    throw r.fail('fieldsPresent has SOH_REQ (0x4), whose layout is not agreed on; not supported');
  }
  if (fieldsPresent & TunnelResponseField.CONSENT_MSG) {
    packet = { ...packet, consentMessage: r.string('consentMessage') };
    last = 'consentMessage';
  }
  r.end(last);
  return packet;
}

// HTTP_TUNNEL_AUTH_RESPONSE: header | u32 errorCode | u16 fieldsPresent | u16 reserved
//   | [u32 redirFlags] | [u32 idleTimeout] | [u16 cbLen + sohResponse]
function decodeTunnelAuthResponse(r: PacketReader): TunnelAuthResponse {
  const errorCode = r.u32('errorCode');
  const fieldsPresent = r.u16('fieldsPresent');
  r.u16('reserved');
  let packet: TunnelAuthResponse = { type: 'tunnel-auth-response', errorCode };
  let last = 'reserved';
  if (fieldsPresent & TunnelAuthResponseField.REDIR_FLAGS) {
    packet = { ...packet, redirFlags: r.u32('redirFlags') };
    last = 'redirFlags';
  }
  if (fieldsPresent & TunnelAuthResponseField.IDLE_TIMEOUT) {
    packet = { ...packet, idleTimeoutMinutes: r.u32('idleTimeout') };
    last = 'idleTimeout';
  }
  if (fieldsPresent & TunnelAuthResponseField.SOH_RESPONSE) {
    packet = { ...packet, sohResponse: r.blob('sohResponse') };
    last = 'sohResponse';
  }
  r.end(last);
  return packet;
}

// HTTP_CHANNEL_RESPONSE: header | u32 errorCode | u16 fieldsPresent | u16 reserved
//   | [u32 channelId (0x1)] | [u16 udpPort (0x4)] | [u16 cbLen + authnCookie (0x2)]  (wire order ≠ bit order)
function decodeChannelResponse(r: PacketReader): ChannelResponse {
  const errorCode = r.u32('errorCode');
  const fieldsPresent = r.u16('fieldsPresent');
  r.u16('reserved');
  let packet: ChannelResponse = { type: 'channel-response', errorCode };
  let last = 'reserved';
  if (fieldsPresent & ChannelResponseField.CHANNEL_ID) {
    packet = { ...packet, channelId: r.u32('channelId') };
    last = 'channelId';
  }
  if (fieldsPresent & ChannelResponseField.UDP_PORT) {
    packet = { ...packet, udpPort: r.u16('udpPort') };
    last = 'udpPort';
  }
  if (fieldsPresent & ChannelResponseField.AUTHN_COOKIE) {
    packet = { ...packet, authnCookie: r.blob('authnCookie') };
    last = 'authnCookie';
  }
  r.end(last);
  return packet;
}

// HTTP_SERVICE_MESSAGE: header | u16 cbMessageLen + message
function decodeServiceMessage(r: PacketReader): ServiceMessage {
  const message = r.string('message');
  r.end('message');
  return { type: 'service-message', message };
}

// HTTP_REAUTH_MESSAGE: header | u64 reauthTunnelContext
function decodeReauthMessage(r: PacketReader): ReauthMessage {
  const reauthTunnelContext = r.u64('reauthTunnelContext');
  r.end('reauthTunnelContext');
  return { type: 'reauth', reauthTunnelContext };
}

/** Encodes a packet a client sends. Throws TsguEncodeError for values that do not fit their fields. */
export function encodeClientPacket(p: KnownClientPacket): Buffer {
  switch (p.type) {
    case 'handshake-request':
      return encodeHandshakeRequest(p);
    case 'tunnel-create':
      return encodeTunnelCreate(p);
    case 'tunnel-auth':
      return encodeTunnelAuth(p);
    case 'channel-create':
      return encodeChannelCreate(p);
    default:
      return encodeSharedPacket(p);
  }
}

/** The PAA cookie blob for `token`, as FreeRDP sends it: UTF-16LE with one terminating NUL counted in cbLen. */
export function encodePaaCookie(token: string): Buffer {
  if (token.length === 0) throw new TsguEncodeError('TUNNEL_CREATE: paaCookie is empty', PacketType.TUNNEL_CREATE);
  return encodeUtf16z(token, 'paaCookie', PacketType.TUNNEL_CREATE);
}

// HTTP_HANDSHAKE_REQUEST_PACKET (14): header | u8 verMajor | u8 verMinor | u16 clientVersion | u16 extendedAuth
function encodeHandshakeRequest(p: HandshakeRequest): Buffer {
  return new PacketWriter(PacketType.HANDSHAKE_REQUEST, 14)
    .u8(p.verMajor, 'verMajor')
    .u8(p.verMinor, 'verMinor')
    .u16(p.clientVersion, 'clientVersion')
    .u16(p.extendedAuth, 'extendedAuth')
    .finish();
}

// HTTP_TUNNEL_PACKET: header | u32 capsFlags | u16 fieldsPresent | u16 reserved
//   | [u64 reauthTunnelContext] | [u16 cbLen + paaCookie]
function encodeTunnelCreate(p: TunnelCreate): Buffer {
  const hasReauth = p.reauthTunnelContext !== undefined;
  const fieldsPresent =
    (hasReauth ? TunnelPacketField.REAUTH : 0) | (p.paaCookie !== undefined ? TunnelPacketField.PAA_COOKIE : 0);
  const w = new PacketWriter(PacketType.TUNNEL_CREATE, 16 + (hasReauth ? 8 : 0) + blobBytes(p.paaCookie))
    .u32(p.capsFlags, 'capsFlags')
    .u16(fieldsPresent, 'fieldsPresent')
    .u16(0, 'reserved');
  if (p.reauthTunnelContext !== undefined) w.u64(p.reauthTunnelContext, 'reauthTunnelContext');
  if (p.paaCookie !== undefined) w.blob(p.paaCookie, 'paaCookie');
  return w.finish();
}

// HTTP_TUNNEL_AUTH_PACKET: header | u16 fieldsPresent | u16 cbClientName + clientName | [u16 cbLen + SoH]
function encodeTunnelAuth(p: TunnelAuth): Buffer {
  const clientName = encodeUtf16z(p.clientName, 'clientName', PacketType.TUNNEL_AUTH);
  const fieldsPresent = p.statementOfHealth !== undefined ? TunnelAuthField.SOH : 0;
  const w = new PacketWriter(PacketType.TUNNEL_AUTH, 10 + blobBytes(clientName) + blobBytes(p.statementOfHealth))
    .u16(fieldsPresent, 'fieldsPresent')
    .blob(clientName, 'clientName');
  if (p.statementOfHealth !== undefined) w.blob(p.statementOfHealth, 'statementOfHealth');
  return w.finish();
}

// HTTP_CHANNEL_PACKET: header | u8 numResources | u8 numAltResources | u16 port | u16 protocol
//   | resources (u16 cbLen + name each) | altResources (same)
function encodeChannelCreate(p: ChannelCreate): Buffer {
  const resources = p.resources.map((name, i) => encodeUtf16z(name, `resources[${i}]`, PacketType.CHANNEL_CREATE));
  const altResources = p.altResources.map((name, i) =>
    encodeUtf16z(name, `altResources[${i}]`, PacketType.CHANNEL_CREATE),
  );
  let packetLength = 14;
  for (const name of [...resources, ...altResources]) packetLength += blobBytes(name);
  const w = new PacketWriter(PacketType.CHANNEL_CREATE, packetLength)
    .u8(resources.length, 'numResources')
    .u8(altResources.length, 'numAltResources')
    .u16(p.port, 'port')
    .u16(p.protocol, 'protocol');
  resources.forEach((name, i) => w.blob(name, `resources[${i}]`));
  altResources.forEach((name, i) => w.blob(name, `altResources[${i}]`));
  return w.finish();
}
