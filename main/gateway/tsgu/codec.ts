/**
 * Pure MS-TSGU codec, the gateway's half: client packets decoded, server packets encoded, complete packets (8-byte
 * header included) ⇄ typed values. All integers are little-endian, all strings UTF-16LE. No sockets, no state. The
 * client's half (client packets encoded, server packets decoded), which only the tests' clients need, is
 * test/helpers/tsgu-codec.ts, built on the reader and writer exported here.
 *
 * Decoding rules (a peer controls every byte, so each rule stops a malformed or hostile packet early):
 * - `packetLength` must equal the buffer length; the framer cut the buffer by it, so a mismatch is a bug or a lie.
 * - every declared length (cbLen, cbDataLen) is checked against the bytes left before slicing, and nothing is
 *   allocated from a length that was not checked: decoded Buffers are views into the input, not copies
 *   (copy them if you keep them longer than the input buffer).
 * - optional fields are read only when their fieldsPresent bit is set, in the order the spec gives, and bytes
 *   left over after the last field are an error.
 * - strings lose their trailing NULs; an odd byte count, an embedded NUL or a lone surrogate is an error.
 * - unknown packet types, and types that only the other side sends, decode to `{ type: 'unknown' }`; the
 *   session logs and ignores them, as rdpgw does.
 */
import {
  ChannelResponseField,
  DATA_HEADER_BYTES,
  MAX_DATA_PAYLOAD_BYTES,
  PACKET_HEADER_BYTES,
  PacketType,
  TunnelAuthField,
  TunnelAuthResponseField,
  TunnelPacketField,
  TunnelResponseField,
} from './constants.ts';
import { TsguBadCookieError, TsguDecodeError, TsguEncodeError } from './errors.ts';

// ---------------------------------------------------------------------------------------------------------------
// Packet values
// ---------------------------------------------------------------------------------------------------------------

/** HTTP_HANDSHAKE_REQUEST_PACKET (2.2.10.10), client → server. */
export interface HandshakeRequest {
  readonly type: 'handshake-request';
  readonly verMajor: number;
  readonly verMinor: number;
  readonly clientVersion: number;
  /** HTTP_EXTENDED_AUTH flags (ExtendedAuth). */
  readonly extendedAuth: number;
}

/** HTTP_TUNNEL_PACKET (2.2.10.18) with HTTP_TUNNEL_PACKET_OPTIONAL (2.2.10.19), client → server. */
export interface TunnelCreate {
  readonly type: 'tunnel-create';
  /** HTTP_CAPABILITY_TYPE flags the client supports (Capability). */
  readonly capsFlags: number;
  /** Present when fieldsPresent has HTTP_TUNNEL_PACKET_FIELD_REAUTH. */
  readonly reauthTunnelContext?: bigint;
  /** Raw HTTP_BYTE_BLOB bytes of the PAA cookie; turn it into text with decodePaaCookie(). */
  readonly paaCookie?: Buffer;
}

/** HTTP_TUNNEL_AUTH_PACKET (2.2.10.14) with HTTP_TUNNEL_AUTH_PACKET_OPTIONAL (2.2.10.15), client → server. */
export interface TunnelAuth {
  readonly type: 'tunnel-auth';
  /** Client machine name, trailing NULs stripped. */
  readonly clientName: string;
  /** Present when fieldsPresent has HTTP_TUNNEL_AUTH_FIELD_SOH. */
  readonly statementOfHealth?: Buffer;
}

/** HTTP_CHANNEL_PACKET (2.2.10.2) with HTTP_CHANNEL_PACKET_VARIABLE (2.2.10.3), client → server. */
export interface ChannelCreate {
  readonly type: 'channel-create';
  /** Target host names as the client knows them (at most 255). */
  readonly resources: readonly string[];
  /** Alternative names for the same target (at most 255). */
  readonly altResources: readonly string[];
  readonly port: number;
  /** 3 = RDP (CHANNEL_PROTOCOL_RDP). */
  readonly protocol: number;
}

/** HTTP_DATA_PACKET (2.2.10.6), both ways. */
export interface Data {
  readonly type: 'data';
  readonly data: Buffer;
}

/** HTTP_KEEPALIVE_PACKET (2.2.10.8), both ways: header only. */
export interface Keepalive {
  readonly type: 'keepalive';
}

/** HTTP_CLOSE_PACKET (2.2.10.23) sent as PKT_TYPE_CLOSE_CHANNEL, both ways. */
export interface CloseChannel {
  readonly type: 'close-channel';
  readonly statusCode: number;
}

/** HTTP_CLOSE_PACKET (2.2.10.23) sent as PKT_TYPE_CLOSE_CHANNEL_RESPONSE, both ways. */
export interface CloseChannelResponse {
  readonly type: 'close-channel-response';
  readonly statusCode: number;
}

/** HTTP_EXTENDED_AUTH_PACKET (2.2.10.7), both ways (SSPI_NTLM only). */
export interface ExtendedAuthPacket {
  readonly type: 'extended-auth';
  readonly errorCode: number;
  readonly blob: Buffer;
}

/** HTTP_HANDSHAKE_RESPONSE_PACKET (2.2.10.11), server → client. */
export interface HandshakeResponse {
  readonly type: 'handshake-response';
  readonly errorCode: number;
  readonly verMajor: number;
  readonly verMinor: number;
  readonly serverVersion: number;
  readonly extendedAuth: number;
}

/** HTTP_TUNNEL_RESPONSE (2.2.10.20) with HTTP_TUNNEL_RESPONSE_OPTIONAL (2.2.10.21), server → client. */
export interface TunnelResponse {
  readonly type: 'tunnel-response';
  readonly serverVersion: number;
  readonly statusCode: number;
  /** HTTP_TUNNEL_RESPONSE_FIELD_TUNNEL_ID. */
  readonly tunnelId?: number;
  /** HTTP_TUNNEL_RESPONSE_FIELD_CAPS: the server's HTTP_CAPABILITY_TYPE flags. */
  readonly capsFlags?: number;
  /** HTTP_TUNNEL_RESPONSE_FIELD_CONSENT_MSG. (SOH_REQ is never encoded and refused on decode.) */
  readonly consentMessage?: string;
}

/** HTTP_TUNNEL_AUTH_RESPONSE (2.2.10.16) with HTTP_TUNNEL_AUTH_RESPONSE_OPTIONAL (2.2.10.17), server → client. */
export interface TunnelAuthResponse {
  readonly type: 'tunnel-auth-response';
  readonly errorCode: number;
  /** HTTP_TUNNEL_AUTH_RESPONSE_FIELD_REDIR_FLAGS (TunnelRedir). */
  readonly redirFlags?: number;
  /** HTTP_TUNNEL_AUTH_RESPONSE_FIELD_IDLE_TIMEOUT, in minutes; 0 = none. */
  readonly idleTimeoutMinutes?: number;
  /** HTTP_TUNNEL_AUTH_RESPONSE_FIELD_SOH_RESPONSE. */
  readonly sohResponse?: Buffer;
}

/** HTTP_CHANNEL_RESPONSE (2.2.10.4) with HTTP_CHANNEL_RESPONSE_OPTIONAL (2.2.10.5), server → client. */
export interface ChannelResponse {
  readonly type: 'channel-response';
  readonly errorCode: number;
  /** HTTP_CHANNEL_RESPONSE_FIELD_CHANNELID; Windows clients need it on success. */
  readonly channelId?: number;
  /** HTTP_CHANNEL_RESPONSE_FIELD_UDPPORT. */
  readonly udpPort?: number;
  /** HTTP_CHANNEL_RESPONSE_FIELD_AUTHNCOOKIE. */
  readonly authnCookie?: Buffer;
}

/** HTTP_SERVICE_MESSAGE (2.2.10.13), server → client. */
export interface ServiceMessage {
  readonly type: 'service-message';
  readonly message: string;
}

/** HTTP_REAUTH_MESSAGE (2.2.10.12), server → client. */
export interface ReauthMessage {
  readonly type: 'reauth';
  readonly reauthTunnelContext: bigint;
}

/** A packet whose type is unknown, or only sent by the other side. The session logs and ignores it. */
export interface UnknownPacket {
  readonly type: 'unknown';
  readonly packetType: number;
  /** Total packet length in bytes (header included). */
  readonly length: number;
}

/** Packets either side may send. */
export type SharedPacket = Data | Keepalive | CloseChannel | CloseChannelResponse | ExtendedAuthPacket;
/** Packets a client sends (the gateway decodes them; test/helpers/tsgu-codec.ts encodes them for the test clients). */
export type KnownClientPacket = HandshakeRequest | TunnelCreate | TunnelAuth | ChannelCreate | SharedPacket;
export type ClientPacket = KnownClientPacket | UnknownPacket;
/** Packets a server sends. */
export type KnownServerPacket =
  | HandshakeResponse
  | TunnelResponse
  | TunnelAuthResponse
  | ChannelResponse
  | ServiceMessage
  | ReauthMessage
  | SharedPacket;

/** Spec name of a packet type, for messages and logs (`PKT_TYPE_0x000E` when unknown). */
export function packetTypeName(packetType: number): string {
  for (const [name, value] of Object.entries(PacketType)) {
    if (value === packetType) return name;
  }
  return `PKT_TYPE_0x${packetType.toString(16).padStart(4, '0').toUpperCase()}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------------------------

/** Decodes one complete packet sent by a client. Throws TsguDecodeError (or TsguBadCookieError). */
export function decodeClientPacket(buf: Buffer): ClientPacket {
  const { packetType, reader } = openPacket(buf);
  switch (packetType) {
    case PacketType.HANDSHAKE_REQUEST:
      return decodeHandshakeRequest(reader);
    case PacketType.TUNNEL_CREATE:
      return decodeTunnelCreate(reader);
    case PacketType.TUNNEL_AUTH:
      return decodeTunnelAuth(reader);
    case PacketType.CHANNEL_CREATE:
      return decodeChannelCreate(reader);
    default:
      return decodeSharedPacket(packetType, reader) ?? { type: 'unknown', packetType, length: buf.length };
  }
}

/**
 * The token text of a PAA cookie blob: UTF-16LE with 0..n trailing NULs stripped (FreeRDP sends one; whether
 * MSTSC does is unconfirmed). Throws TsguBadCookieError (E_PROXY_COOKIE_BADPACKET) for an odd byte count, an
 * empty token, an embedded NUL or a lone surrogate — a token is printable text, anything else is garbage.
 */
export function decodePaaCookie(blob: Buffer): string {
  const fail = (message: string): TsguDecodeError => new TsguBadCookieError(`TUNNEL_CREATE: ${message}`);
  const token = decodeUtf16(blob, 'paaCookie', fail);
  if (token.length === 0) throw fail('paaCookie is empty');
  return token;
}

type Fail = (message: string) => TsguDecodeError;

/** Bounds-checked little-endian cursor over one complete packet, positioned after the header. */
export class PacketReader {
  readonly #buf: Buffer;
  readonly #packetType: number;
  #offset = PACKET_HEADER_BYTES;

  constructor(buf: Buffer, packetType: number) {
    this.#buf = buf;
    this.#packetType = packetType;
  }

  get remaining(): number {
    return this.#buf.length - this.#offset;
  }

  /** The decode error for this packet, its message prefixed with the packet name. */
  fail(message: string): TsguDecodeError {
    return new TsguDecodeError(`${packetTypeName(this.#packetType)}: ${message}`, { packetType: this.#packetType });
  }

  /** Same for a malformed PAA cookie, which is answered with E_PROXY_COOKIE_BADPACKET. */
  failCookie(message: string): TsguDecodeError {
    return new TsguBadCookieError(`${packetTypeName(this.#packetType)}: ${message}`);
  }

  u8(field: string): number {
    this.#need(1, field);
    const value = this.#buf.readUInt8(this.#offset);
    this.#offset += 1;
    return value;
  }

  u16(field: string, cookie = false): number {
    this.#need(2, field, cookie);
    const value = this.#buf.readUInt16LE(this.#offset);
    this.#offset += 2;
    return value;
  }

  u32(field: string): number {
    this.#need(4, field);
    const value = this.#buf.readUInt32LE(this.#offset);
    this.#offset += 4;
    return value;
  }

  u64(field: string): bigint {
    this.#need(8, field);
    const value = this.#buf.readBigUInt64LE(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** HTTP_BYTE_BLOB: u16 cbLen, then cbLen bytes (a view, not a copy). `cookie` selects the PAA cookie error. */
  blob(field: string, cookie = false): Buffer {
    const cbLen = this.u16(`${field}.cbLen`, cookie);
    if (cbLen > this.remaining) {
      const message = `${field}.cbLen ${cbLen} exceeds the ${this.remaining} bytes left`;
      throw cookie ? this.failCookie(message) : this.fail(message);
    }
    const bytes = this.#buf.subarray(this.#offset, this.#offset + cbLen);
    this.#offset += cbLen;
    return bytes;
  }

  /** HTTP_UNICODE_STRING: u16 cbLen, then cbLen bytes of UTF-16LE; trailing NULs stripped. */
  string(field: string): string {
    return decodeUtf16(this.blob(field), field, (message) => this.fail(message));
  }

  /** The rest of the packet (a view). */
  rest(): Buffer {
    const bytes = this.#buf.subarray(this.#offset);
    this.#offset = this.#buf.length;
    return bytes;
  }

  /** Invariant: a packet ends exactly after its last field. */
  end(lastField: string): void {
    const left = this.remaining;
    if (left !== 0) throw this.fail(`${left} unexpected trailing byte${left === 1 ? '' : 's'} after ${lastField}`);
  }

  #need(bytes: number, field: string, cookie = false): void {
    if (this.remaining < bytes) {
      const message = `${field} needs ${bytes} bytes, ${this.remaining} left`;
      throw cookie ? this.failCookie(message) : this.fail(message);
    }
  }
}

/** HTTP_PACKET_HEADER (2.2.10.9): u16 packetType, u16 reserved (ignored), u32 packetLength (includes the header). */
export function openPacket(buf: Buffer): { packetType: number; reader: PacketReader } {
  if (buf.length < PACKET_HEADER_BYTES) {
    throw new TsguDecodeError(`packet header needs ${PACKET_HEADER_BYTES} bytes, ${buf.length} given`, {
      packetType: buf.length >= 2 ? buf.readUInt16LE(0) : undefined,
    });
  }
  const packetType = buf.readUInt16LE(0);
  const packetLength = buf.readUInt32LE(4);
  const reader = new PacketReader(buf, packetType);
  if (packetLength !== buf.length) {
    throw reader.fail(`packetLength ${packetLength} does not match the ${buf.length} bytes given`);
  }
  return { packetType, reader };
}

/** UTF-16LE bytes → string: even byte count, trailing NULs stripped, no embedded NUL, no lone surrogate. */
function decodeUtf16(bytes: Buffer, field: string, fail: Fail): string {
  if (bytes.length % 2 !== 0) {
    throw fail(`${field}.cbLen ${bytes.length} is odd; UTF-16LE needs whole 2-byte code units`);
  }
  let end = bytes.length;
  while (end >= 2 && bytes[end - 2] === 0 && bytes[end - 1] === 0) end -= 2;
  const text = bytes.toString('utf16le', 0, end);
  const problem = findUtf16Problem(text);
  if (problem !== undefined) throw fail(`${field} has ${problem}`);
  return text;
}

/**
 * Why a string cannot travel as a MS-TSGU string: an embedded NUL would truncate it on the other side (a host
 * name checked by policy would differ from the one dialled), a lone surrogate is not UTF-16 at all.
 */
function findUtf16Problem(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return `an embedded NUL at code unit ${i}`;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return `a lone surrogate at code unit ${i}`;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return `a lone surrogate at code unit ${i}`;
    }
  }
  return undefined;
}

export function decodeSharedPacket(packetType: number, r: PacketReader): SharedPacket | undefined {
  switch (packetType) {
    case PacketType.DATA:
      return decodeData(r);
    case PacketType.KEEPALIVE:
      r.end('the header');
      return { type: 'keepalive' };
    case PacketType.CLOSE_CHANNEL: {
      const statusCode = r.u32('statusCode');
      r.end('statusCode');
      return { type: 'close-channel', statusCode };
    }
    case PacketType.CLOSE_CHANNEL_RESPONSE: {
      const statusCode = r.u32('statusCode');
      r.end('statusCode');
      return { type: 'close-channel-response', statusCode };
    }
    case PacketType.EXTENDED_AUTH: {
      const errorCode = r.u32('errorCode');
      const blob = r.blob('authBlob');
      r.end('authBlob');
      return { type: 'extended-auth', errorCode, blob };
    }
    default:
      return undefined;
  }
}

// HTTP_HANDSHAKE_REQUEST_PACKET: header | u8 verMajor | u8 verMinor | u16 clientVersion | u16 extendedAuth
function decodeHandshakeRequest(r: PacketReader): HandshakeRequest {
  const verMajor = r.u8('verMajor');
  const verMinor = r.u8('verMinor');
  const clientVersion = r.u16('clientVersion');
  const extendedAuth = r.u16('extendedAuth');
  r.end('extendedAuth');
  return { type: 'handshake-request', verMajor, verMinor, clientVersion, extendedAuth };
}

// HTTP_TUNNEL_PACKET: header | u32 capsFlags | u16 fieldsPresent | u16 reserved
//   | [u64 reauthTunnelContext if REAUTH] | [u16 cbLen + paaCookie if PAA_COOKIE]
function decodeTunnelCreate(r: PacketReader): TunnelCreate {
  const capsFlags = r.u32('capsFlags');
  const fieldsPresent = r.u16('fieldsPresent');
  r.u16('reserved');
  let packet: TunnelCreate = { type: 'tunnel-create', capsFlags };
  let last = 'reserved';
  if (fieldsPresent & TunnelPacketField.REAUTH) {
    packet = { ...packet, reauthTunnelContext: r.u64('reauthTunnelContext') };
    last = 'reauthTunnelContext';
  }
  if (fieldsPresent & TunnelPacketField.PAA_COOKIE) {
    packet = { ...packet, paaCookie: r.blob('paaCookie', true) };
    last = 'paaCookie';
  }
  r.end(last);
  return packet;
}

// HTTP_TUNNEL_AUTH_PACKET: header | u16 fieldsPresent | u16 cbClientName + clientName
//   | [u16 cbLen + statementOfHealth if SOH]
function decodeTunnelAuth(r: PacketReader): TunnelAuth {
  const fieldsPresent = r.u16('fieldsPresent');
  const clientName = r.string('clientName');
  if (fieldsPresent & TunnelAuthField.SOH) {
    const statementOfHealth = r.blob('statementOfHealth');
    r.end('statementOfHealth');
    return { type: 'tunnel-auth', clientName, statementOfHealth };
  }
  r.end('clientName');
  return { type: 'tunnel-auth', clientName };
}

// HTTP_CHANNEL_PACKET: header | u8 numResources | u8 numAltResources | u16 port | u16 protocol
//   | numResources × (u16 cbLen + name) | numAltResources × (u16 cbLen + name)
function decodeChannelCreate(r: PacketReader): ChannelCreate {
  const numResources = r.u8('numResources');
  const numAltResources = r.u8('numAltResources');
  const port = r.u16('port');
  const protocol = r.u16('protocol');
  // Bounded: at most 255 + 255 names, each read is bounds-checked against the packet.
  const resources: string[] = [];
  for (let i = 0; i < numResources; i++) resources.push(r.string(`resources[${i}]`));
  const altResources: string[] = [];
  for (let i = 0; i < numAltResources; i++) altResources.push(r.string(`altResources[${i}]`));
  r.end(numAltResources > 0 ? 'altResources' : numResources > 0 ? 'resources' : 'protocol');
  return { type: 'channel-create', resources, altResources, port, protocol };
}

// HTTP_DATA_PACKET: header | u16 cbDataLen | cbDataLen bytes, and packetLength == 10 + cbDataLen
function decodeData(r: PacketReader): Data {
  const cbDataLen = r.u16('cbDataLen');
  // FreeRDP trusts cbDataLen and ignores packetLength, so the two must agree exactly.
  if (cbDataLen !== r.remaining) throw r.fail(dataLengthMismatch(cbDataLen, r.remaining));
  return { type: 'data', data: r.rest() };
}

/**
 * The payload size of a DATA packet from its first 10 bytes (header and cbDataLen), checked as `decodeClientPacket`
 * checks it: for handing a DATA payload on as it arrives rather than after the whole packet.
 */
export function decodeDataHeader(header: Buffer): number {
  const packetLength = header.readUInt32LE(4);
  const cbDataLen = header.readUInt16LE(8);
  if (cbDataLen !== packetLength - DATA_HEADER_BYTES) {
    throw new TsguDecodeError(
      `${packetTypeName(PacketType.DATA)}: ${dataLengthMismatch(cbDataLen, packetLength - DATA_HEADER_BYTES)}`,
      { packetType: PacketType.DATA },
    );
  }
  return cbDataLen;
}

function dataLengthMismatch(cbDataLen: number, payloadBytes: number): string {
  return `cbDataLen ${cbDataLen} does not match the ${payloadBytes} payload bytes (packetLength − 10)`;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------------------------

/** Encodes a packet a server sends. Throws TsguEncodeError for values that do not fit their fields. */
export function encodeServerPacket(p: KnownServerPacket): Buffer {
  switch (p.type) {
    case 'handshake-response':
      return encodeHandshakeResponse(p);
    case 'tunnel-response':
      return encodeTunnelResponse(p);
    case 'tunnel-auth-response':
      return encodeTunnelAuthResponse(p);
    case 'channel-response':
      return encodeChannelResponse(p);
    case 'service-message':
      return encodeServiceMessage(p);
    case 'reauth':
      return encodeReauthMessage(p);
    default:
      return encodeSharedPacket(p);
  }
}

/**
 * HTTP_DATA_PACKET for `payload`: one allocation, one copy. Empty payloads are refused (we never send a
 * zero-length DATA packet; clients' reaction is unconfirmed), as are payloads over 65535 bytes (split them).
 */
export function encodeDataPacket(payload: Buffer): Buffer {
  checkDataPayloadBytes(payload.length);
  // allocUnsafe is safe here: every byte is written below (10 header bytes + the copied payload).
  const packet = Buffer.allocUnsafe(DATA_HEADER_BYTES + payload.length);
  writeDataHeader(packet, payload.length, 0);
  payload.copy(packet, DATA_HEADER_BYTES);
  return packet;
}

/** Just the 10 header bytes of a DATA packet carrying `payloadBytes` bytes, for a zero-copy writev path. */
export function encodeDataHeader(payloadBytes: number): Buffer {
  checkDataPayloadBytes(payloadBytes);
  const header = Buffer.allocUnsafe(DATA_HEADER_BYTES);
  writeDataHeader(header, payloadBytes, 0);
  return header;
}

/**
 * Writes the 10 header bytes of a DATA packet carrying `payloadBytes` bytes into `target` at `offset`, for a
 * transport that builds its own frame around the packet (one buffer, one copy of the payload). Same checks as
 * encodeDataPacket.
 */
export function writeDataHeaderAt(target: Buffer, offset: number, payloadBytes: number): void {
  checkDataPayloadBytes(payloadBytes);
  writeDataHeader(target, payloadBytes, offset);
}

function checkDataPayloadBytes(payloadBytes: number): void {
  if (!Number.isInteger(payloadBytes) || payloadBytes < 1 || payloadBytes > MAX_DATA_PAYLOAD_BYTES) {
    throw new TsguEncodeError(
      `DATA: payload of ${payloadBytes} bytes is outside 1..${MAX_DATA_PAYLOAD_BYTES}`,
      PacketType.DATA,
    );
  }
}

// HTTP_DATA_PACKET header: u16 packetType | u16 reserved | u32 packetLength | u16 cbDataLen
function writeDataHeader(target: Buffer, payloadBytes: number, offset: number): void {
  target.writeUInt16LE(PacketType.DATA, offset);
  target.writeUInt16LE(0, offset + 2);
  target.writeUInt32LE(DATA_HEADER_BYTES + payloadBytes, offset + 4);
  target.writeUInt16LE(payloadBytes, offset + 8);
}

/** String → UTF-16LE plus one NUL, as both sides send strings. Refuses what the decoder would refuse. */
export function encodeUtf16z(text: string, field: string, packetType: number): Buffer {
  const problem = findUtf16Problem(text);
  if (problem !== undefined) {
    throw new TsguEncodeError(`${packetTypeName(packetType)}: ${field} has ${problem}`, packetType);
  }
  const byteLength = 2 * (text.length + 1);
  if (byteLength > 0xffff) {
    throw new TsguEncodeError(
      `${packetTypeName(packetType)}: ${field} needs ${byteLength} bytes, more than a u16 cbLen can count`,
      packetType,
    );
  }
  return Buffer.from(`${text}\0`, 'utf16le');
}

/** Little-endian writer over a buffer of the exact packet size; the header is written up front. */
export class PacketWriter {
  readonly #buf: Buffer;
  readonly #packetType: number;
  #offset = PACKET_HEADER_BYTES;

  constructor(packetType: number, packetLength: number) {
    this.#packetType = packetType;
    this.#buf = Buffer.alloc(packetLength);
    // HTTP_PACKET_HEADER: u16 packetType | u16 reserved = 0 | u32 packetLength
    this.#buf.writeUInt16LE(packetType, 0);
    this.#buf.writeUInt32LE(packetLength, 4);
  }

  u8(value: number, field: string): this {
    this.#checkUint(value, 0xff, 'u8', field);
    this.#offset = this.#buf.writeUInt8(value, this.#offset);
    return this;
  }

  u16(value: number, field: string): this {
    this.#checkUint(value, 0xffff, 'u16', field);
    this.#offset = this.#buf.writeUInt16LE(value, this.#offset);
    return this;
  }

  u32(value: number, field: string): this {
    this.#checkUint(value, 0xffffffff, 'u32', field);
    this.#offset = this.#buf.writeUInt32LE(value, this.#offset);
    return this;
  }

  u64(value: bigint, field: string): this {
    if (value < 0n || value > 0xffffffffffffffffn) throw this.#fail(`${field} ${value} is not a u64`);
    this.#offset = this.#buf.writeBigUInt64LE(value, this.#offset);
    return this;
  }

  /** HTTP_BYTE_BLOB / HTTP_UNICODE_STRING: u16 cbLen, then the bytes. */
  blob(bytes: Buffer, field: string): this {
    this.u16(bytes.length, `${field}.cbLen`);
    this.#offset += bytes.copy(this.#buf, this.#offset);
    return this;
  }

  /** Invariant: the size computed by the caller matches what was written. */
  finish(): Buffer {
    if (this.#offset !== this.#buf.length) {
      throw this.#fail(`wrote ${this.#offset} bytes into a ${this.#buf.length}-byte packet`);
    }
    return this.#buf;
  }

  #checkUint(value: number, max: number, kind: string, field: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) throw this.#fail(`${field} ${value} is not a ${kind}`);
  }

  #fail(message: string): TsguEncodeError {
    return new TsguEncodeError(`${packetTypeName(this.#packetType)}: ${message}`, this.#packetType);
  }
}

/** Size of an HTTP_BYTE_BLOB / HTTP_UNICODE_STRING on the wire: u16 cbLen + bytes. */
export const blobBytes = (bytes: Buffer | undefined): number => (bytes === undefined ? 0 : 2 + bytes.length);

export function encodeSharedPacket(p: SharedPacket): Buffer {
  switch (p.type) {
    case 'data':
      return encodeDataPacket(p.data);
    case 'keepalive':
      // HTTP_KEEPALIVE_PACKET: header only
      return new PacketWriter(PacketType.KEEPALIVE, PACKET_HEADER_BYTES).finish();
    case 'close-channel':
      // HTTP_CLOSE_PACKET: header | u32 statusCode
      return new PacketWriter(PacketType.CLOSE_CHANNEL, 12).u32(p.statusCode, 'statusCode').finish();
    case 'close-channel-response':
      return new PacketWriter(PacketType.CLOSE_CHANNEL_RESPONSE, 12).u32(p.statusCode, 'statusCode').finish();
    case 'extended-auth':
      // HTTP_EXTENDED_AUTH_PACKET: header | u32 errorCode | u16 cbAuthBlob + authBlob
      return new PacketWriter(PacketType.EXTENDED_AUTH, 12 + blobBytes(p.blob))
        .u32(p.errorCode, 'errorCode')
        .blob(p.blob, 'authBlob')
        .finish();
  }
}

// HTTP_HANDSHAKE_RESPONSE_PACKET (18): header | u32 errorCode | u8 verMajor | u8 verMinor | u16 serverVersion
//   | u16 extendedAuth
function encodeHandshakeResponse(p: HandshakeResponse): Buffer {
  return new PacketWriter(PacketType.HANDSHAKE_RESPONSE, 18)
    .u32(p.errorCode, 'errorCode')
    .u8(p.verMajor, 'verMajor')
    .u8(p.verMinor, 'verMinor')
    .u16(p.serverVersion, 'serverVersion')
    .u16(p.extendedAuth, 'extendedAuth')
    .finish();
}

/** An optional field of a response: written, and its bit set in fieldsPresent, only when its value is given. */
type OptionalField =
  | { readonly bit: number; readonly name: string; readonly kind: 'u16' | 'u32'; readonly value: number | undefined }
  | { readonly bit: number; readonly name: string; readonly kind: 'blob'; readonly value: Buffer | undefined };

const optionalFieldBytes = (field: OptionalField): number =>
  field.kind === 'blob' ? blobBytes(field.value) : field.value === undefined ? 0 : field.kind === 'u32' ? 4 : 2;

/**
 * A response with optional fields: `fixedLength` bytes (header included) of which `writeFixed` writes all before
 * fieldsPresent, then u16 fieldsPresent | u16 reserved, then the given optional fields in wire order.
 */
function encodeWithOptionalFields(
  packetType: number,
  fixedLength: number,
  writeFixed: (w: PacketWriter) => PacketWriter,
  fields: readonly OptionalField[],
): Buffer {
  const fieldsPresent = fields.reduce((bits, field) => (field.value === undefined ? bits : bits | field.bit), 0);
  const packetLength = fields.reduce((length, field) => length + optionalFieldBytes(field), fixedLength);
  const w = writeFixed(new PacketWriter(packetType, packetLength))
    .u16(fieldsPresent, 'fieldsPresent')
    .u16(0, 'reserved');
  for (const field of fields) {
    if (field.kind === 'blob') {
      if (field.value !== undefined) w.blob(field.value, field.name);
    } else if (field.value !== undefined) {
      w[field.kind](field.value, field.name);
    }
  }
  return w.finish();
}

// HTTP_TUNNEL_RESPONSE: header | u16 serverVersion | u32 statusCode | u16 fieldsPresent | u16 reserved
//   | [u32 tunnelId] | [u32 capsFlags] | [u16 cbLen + consentMessage]
function encodeTunnelResponse(p: TunnelResponse): Buffer {
  const consent =
    p.consentMessage === undefined
      ? undefined
      : encodeUtf16z(p.consentMessage, 'consentMessage', PacketType.TUNNEL_RESPONSE);
  return encodeWithOptionalFields(
    PacketType.TUNNEL_RESPONSE,
    18,
    (w) => w.u16(p.serverVersion, 'serverVersion').u32(p.statusCode, 'statusCode'),
    [
      { bit: TunnelResponseField.TUNNEL_ID, name: 'tunnelId', kind: 'u32', value: p.tunnelId },
      { bit: TunnelResponseField.CAPS, name: 'capsFlags', kind: 'u32', value: p.capsFlags },
      { bit: TunnelResponseField.CONSENT_MSG, name: 'consentMessage', kind: 'blob', value: consent },
    ],
  );
}

// HTTP_TUNNEL_AUTH_RESPONSE: header | u32 errorCode | u16 fieldsPresent | u16 reserved
//   | [u32 redirFlags] | [u32 idleTimeout] | [u16 cbLen + sohResponse]
function encodeTunnelAuthResponse(p: TunnelAuthResponse): Buffer {
  return encodeWithOptionalFields(PacketType.TUNNEL_AUTH_RESPONSE, 16, (w) => w.u32(p.errorCode, 'errorCode'), [
    { bit: TunnelAuthResponseField.REDIR_FLAGS, name: 'redirFlags', kind: 'u32', value: p.redirFlags },
    { bit: TunnelAuthResponseField.IDLE_TIMEOUT, name: 'idleTimeout', kind: 'u32', value: p.idleTimeoutMinutes },
    { bit: TunnelAuthResponseField.SOH_RESPONSE, name: 'sohResponse', kind: 'blob', value: p.sohResponse },
  ]);
}

// HTTP_CHANNEL_RESPONSE: header | u32 errorCode | u16 fieldsPresent | u16 reserved
//   | [u32 channelId] | [u16 udpPort] | [u16 cbLen + authnCookie]  (wire order ≠ bit order)
function encodeChannelResponse(p: ChannelResponse): Buffer {
  return encodeWithOptionalFields(PacketType.CHANNEL_RESPONSE, 16, (w) => w.u32(p.errorCode, 'errorCode'), [
    { bit: ChannelResponseField.CHANNEL_ID, name: 'channelId', kind: 'u32', value: p.channelId },
    { bit: ChannelResponseField.UDP_PORT, name: 'udpPort', kind: 'u16', value: p.udpPort },
    { bit: ChannelResponseField.AUTHN_COOKIE, name: 'authnCookie', kind: 'blob', value: p.authnCookie },
  ]);
}

// HTTP_SERVICE_MESSAGE: header | u16 cbMessageLen + message (with one NUL)
function encodeServiceMessage(p: ServiceMessage): Buffer {
  const message = encodeUtf16z(p.message, 'message', PacketType.SERVICE_MESSAGE);
  return new PacketWriter(PacketType.SERVICE_MESSAGE, 8 + blobBytes(message)).blob(message, 'message').finish();
}

// HTTP_REAUTH_MESSAGE (16): header | u64 reauthTunnelContext
function encodeReauthMessage(p: ReauthMessage): Buffer {
  return new PacketWriter(PacketType.REAUTH, 16).u64(p.reauthTunnelContext, 'reauthTunnelContext').finish();
}
