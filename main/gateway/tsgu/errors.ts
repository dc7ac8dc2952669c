/**
 * MS-TSGU error classes (jose style): one base class, one subclass per failure, each carrying a stable `code`
 * and the HRESULT the gateway should answer the peer with.
 */
import { HResult, PacketType } from './constants.ts';

export type TsguErrorCode =
  | 'ERR_TSGU'
  | 'ERR_TSGU_FRAMING'
  | 'ERR_TSGU_DECODE'
  | 'ERR_TSGU_BAD_PAA_COOKIE'
  | 'ERR_TSGU_ENCODE'
  | 'ERR_TSGU_REFUSED';

export interface TsguErrorOptions {
  /** Wire code to answer with; default E_PROXY_INTERNALERROR. */
  readonly hresult?: number;
  readonly cause?: unknown;
}

/** Base class of every MS-TSGU wire-layer error. */
export class TsguError extends Error {
  static readonly code: TsguErrorCode = 'ERR_TSGU';
  readonly code: TsguErrorCode = 'ERR_TSGU';
  /** HRESULT to put in the error response (or close status) sent to the peer. */
  readonly hresult: number;

  constructor(message: string, options: TsguErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Hard-coded rather than this.constructor.name so that bundling/minifying cannot change it.
    this.name = 'TsguError';
    this.hresult = options.hresult ?? HResult.E_PROXY_INTERNALERROR;
  }
}

/**
 * The byte stream cannot be cut into packets: `packetLength` is below the 8-byte header or above the limit.
 * The stream is unrecoverable; answer (if at all) with E_PROXY_INTERNALERROR and close.
 */
export class TsguFramingError extends TsguError {
  static override readonly code: TsguErrorCode = 'ERR_TSGU_FRAMING';
  override readonly code: TsguErrorCode = 'ERR_TSGU_FRAMING';
  /** `packetType` of the offending header. */
  readonly packetType: number;
  /** `packetLength` of the offending header. */
  readonly packetLength: number;

  constructor(message: string, packetType: number, packetLength: number, options: TsguErrorOptions = {}) {
    super(message, options);
    this.name = 'TsguFramingError';
    this.packetType = packetType;
    this.packetLength = packetLength;
  }
}

export interface TsguDecodeErrorOptions extends TsguErrorOptions {
  /** Type of the packet being decoded, or undefined when not even the header was there. */
  readonly packetType: number | undefined;
}

/**
 * A complete packet is truncated or inconsistent (a length overruns the bytes present, trailing garbage, a
 * string that is not UTF-16LE). `packetType` lets the caller answer with that packet's response type.
 */
export class TsguDecodeError extends TsguError {
  static override readonly code: TsguErrorCode = 'ERR_TSGU_DECODE';
  override readonly code: TsguErrorCode = 'ERR_TSGU_DECODE';
  readonly packetType: number | undefined;

  constructor(message: string, options: TsguDecodeErrorOptions) {
    super(message, options);
    this.name = 'TsguDecodeError';
    this.packetType = options.packetType;
  }
}

/** The PAA cookie in TUNNEL_CREATE is malformed; answer the TUNNEL_RESPONSE with E_PROXY_COOKIE_BADPACKET. */
export class TsguBadCookieError extends TsguDecodeError {
  static override readonly code: TsguErrorCode = 'ERR_TSGU_BAD_PAA_COOKIE';
  override readonly code: TsguErrorCode = 'ERR_TSGU_BAD_PAA_COOKIE';

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(message, { ...options, packetType: PacketType.TUNNEL_CREATE, hresult: HResult.E_PROXY_COOKIE_BADPACKET });
    this.name = 'TsguBadCookieError';
  }
}

/**
 * A value cannot be encoded (field out of range, string too long, empty or oversize DATA payload).
 * This is a bug on our side, never the peer's; the hresult is only there for uniformity.
 */
export class TsguEncodeError extends TsguError {
  static override readonly code: TsguErrorCode = 'ERR_TSGU_ENCODE';
  override readonly code: TsguErrorCode = 'ERR_TSGU_ENCODE';
  readonly packetType: number;

  constructor(message: string, packetType: number, options: TsguErrorOptions = {}) {
    super(message, options);
    this.name = 'TsguEncodeError';
    this.packetType = packetType;
  }
}

/**
 * A check's refusal (token, allowlist, dialling, pause), with the HRESULT the client is answered with and a stable
 * reason for the audit log (`expired`, `not-allowed-host`, `paused`…).
 */
export class TunnelRefusal extends TsguError {
  static override readonly code: TsguErrorCode = 'ERR_TSGU_REFUSED';
  override readonly code: TsguErrorCode = 'ERR_TSGU_REFUSED';
  constructor(
    hresult: number,
    readonly reason: string,
    message: string,
  ) {
    super(message, { hresult });
    this.name = 'TunnelRefusal';
  }
}
