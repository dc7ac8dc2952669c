/**
 * MS-TSGU (HTTP transport) wire constants, named as the spec names them.
 * Pure data: no imports, no state. Section numbers refer to [MS-TSGU].
 */

/** HTTP_PACKET_TYPE (2.2.5.3.3): the u16 `packetType` of every packet header. */
export const PacketType = {
  /** PKT_TYPE_HANDSHAKE_REQUEST, client → server. */
  HANDSHAKE_REQUEST: 0x01,
  /** PKT_TYPE_HANDSHAKE_RESPONSE, server → client. */
  HANDSHAKE_RESPONSE: 0x02,
  /** PKT_TYPE_EXTENDED_AUTH_MSG, both ways; only used with HTTP_EXTENDED_AUTH_SSPI_NTLM. */
  EXTENDED_AUTH: 0x03,
  /** PKT_TYPE_TUNNEL_CREATE, client → server (carries the PAA cookie). */
  TUNNEL_CREATE: 0x04,
  /** PKT_TYPE_TUNNEL_RESPONSE, server → client. */
  TUNNEL_RESPONSE: 0x05,
  /** PKT_TYPE_TUNNEL_AUTH, client → server (client machine name). */
  TUNNEL_AUTH: 0x06,
  /** PKT_TYPE_TUNNEL_AUTH_RESPONSE, server → client. */
  TUNNEL_AUTH_RESPONSE: 0x07,
  /** PKT_TYPE_CHANNEL_CREATE, client → server (target host names and port). */
  CHANNEL_CREATE: 0x08,
  /** PKT_TYPE_CHANNEL_RESPONSE, server → client. */
  CHANNEL_RESPONSE: 0x09,
  /** PKT_TYPE_DATA, both ways: raw RDP stream bytes. */
  DATA: 0x0a,
  /** PKT_TYPE_SERVICE_MESSAGE, server → client (administrative message). */
  SERVICE_MESSAGE: 0x0b,
  /** PKT_TYPE_REAUTH_MESSAGE, server → client (asks for re-authentication; we never send it). */
  REAUTH: 0x0c,
  /** PKT_TYPE_KEEPALIVE, both ways, header only. */
  KEEPALIVE: 0x0d,
  /** PKT_TYPE_CLOSE_CHANNEL, both ways. (0x0E and 0x0F are unused.) */
  CLOSE_CHANNEL: 0x10,
  /** PKT_TYPE_CLOSE_CHANNEL_RESPONSE, both ways. */
  CLOSE_CHANNEL_RESPONSE: 0x11,
} as const;
export type PacketTypeValue = (typeof PacketType)[keyof typeof PacketType];

/**
 * HRESULT / status codes carried in `errorCode` / `statusCode` fields (values checked against FreeRDP `tsg.h`).
 * FreeRDP tests handshake, tunnel and channel response codes with FAILED() (high bit set), so every code
 * we may answer a request with is given in its 0x8007xxxx failure form. Codes used only as close statuses or in
 * the re-authentication flow keep the value the clients list.
 */
export const HResult = {
  /** S_OK / ERROR_SUCCESS. */
  S_OK: 0x00000000,
  /** ERROR_ACCESS_DENIED: generic deny; only safe in the tunnel-auth response (rdpgw). */
  ERROR_ACCESS_DENIED: 0x00000005,
  /** E_PROXY_INTERNALERROR: unexpected error, malformed packet, packet in the wrong state. */
  E_PROXY_INTERNALERROR: 0x800759d8,
  /** E_PROXY_RAP_ACCESSDENIED: resource authorization policy denied the target. */
  E_PROXY_RAP_ACCESSDENIED: 0x800759da,
  /** E_PROXY_NAP_ACCESSDENIED: health policy denied. */
  E_PROXY_NAP_ACCESSDENIED: 0x800759db,
  /** E_PROXY_TS_CONNECTFAILED: could not connect to the target (FreeRDP's value; rdpgw's 0x59DD reads as success). */
  E_PROXY_TS_CONNECTFAILED: 0x800759dd,
  /** E_PROXY_ALREADYDISCONNECTED. */
  E_PROXY_ALREADYDISCONNECTED: 0x800759df,
  /** E_PROXY_MAXCONNECTIONSREACHED in failure form (clients list 0x000059E6, which FreeRDP would read as success). */
  E_PROXY_MAXCONNECTIONSREACHED: 0x800759e6,
  /** E_PROXY_NOTSUPPORTED in failure form (clients list 0x000059E8, which FreeRDP would read as success). */
  E_PROXY_NOTSUPPORTED: 0x800759e8,
  /** E_PROXY_CAPABILITYMISMATCH: no common authentication method / capabilities. */
  E_PROXY_CAPABILITYMISMATCH: 0x800759e9,
  /** E_PROXY_QUARANTINE_ACCESSDENIED: the one tunnel-auth error FreeRDP tolerates. */
  E_PROXY_QUARANTINE_ACCESSDENIED: 0x800759ed,
  /** E_PROXY_NOCERTAVAILABLE. */
  E_PROXY_NOCERTAVAILABLE: 0x800759ee,
  /** E_PROXY_COOKIE_BADPACKET: the PAA cookie is malformed. */
  E_PROXY_COOKIE_BADPACKET: 0x800759f7,
  /** E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED: the PAA token was rejected. */
  E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED: 0x800759f8,
  /** E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD. */
  E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD: 0x800759f9,
  /** E_PROXY_SESSIONTIMEOUT: close status for an idle / expired session. */
  E_PROXY_SESSIONTIMEOUT: 0x000059f6,
  /** E_PROXY_REAUTH_AUTHN_FAILED: re-authentication failed (reauth flow only, which we do not implement). */
  E_PROXY_REAUTH_AUTHN_FAILED: 0x000059fa,
  /** E_PROXY_REAUTH_CAP_FAILED: re-authentication failed the capability check (reauth flow only). */
  E_PROXY_REAUTH_CAP_FAILED: 0x000059fb,
  /** E_PROXY_REAUTH_RAP_FAILED: re-authentication failed the resource policy (reauth flow only). */
  E_PROXY_REAUTH_RAP_FAILED: 0x000059fc,
  /** E_PROXY_SDR_NOT_SUPPORTED_BY_TS: secure device redirection not supported by the target. */
  E_PROXY_SDR_NOT_SUPPORTED_BY_TS: 0x000059fd,
  /** E_PROXY_REAUTH_NAP_FAILED: re-authentication failed the health policy (reauth flow only). */
  E_PROXY_REAUTH_NAP_FAILED: 0x00005a00,
  /** E_PROXY_CONNECTIONABORTED: close status for an aborted connection. */
  E_PROXY_CONNECTIONABORTED: 0x000004d4,
  /** ERROR_GRACEFUL_DISCONNECT: close status for an orderly disconnect. */
  ERROR_GRACEFUL_DISCONNECT: 0x000004ca,
  /** SEC_E_LOGON_DENIED. */
  SEC_E_LOGON_DENIED: 0x8009030c,
} as const;
export type HResultValue = (typeof HResult)[keyof typeof HResult];

/** HTTP_EXTENDED_AUTH (2.2.5.3.2): u16 flags in the handshake request and response. */
export const ExtendedAuth = {
  /** HTTP_EXTENDED_AUTH_NONE. */
  NONE: 0x00,
  /** HTTP_EXTENDED_AUTH_SC: smart card. */
  SC: 0x01,
  /** HTTP_EXTENDED_AUTH_PAA: pluggable authentication, the access token in the PAA cookie. */
  PAA: 0x02,
  /** HTTP_EXTENDED_AUTH_SSPI_NTLM: NTLM inside EXTENDED_AUTH packets. */
  SSPI_NTLM: 0x04,
  /** FreeRDP-only "bearer" value (HTTP `Authorization: Bearer`); not in the spec. */
  BEARER: 0x08,
} as const;

/** HTTP_CAPABILITY_TYPE (2.2.5.3.9): u32 caps flags in TUNNEL_CREATE (client) and TUNNEL_RESPONSE (server). */
export const Capability = {
  /** HTTP_CAPABILITY_TYPE_QUAR_SOH: statement of health. */
  QUAR_SOH: 0x01,
  /** HTTP_CAPABILITY_IDLE_TIMEOUT. */
  IDLE_TIMEOUT: 0x02,
  /** HTTP_CAPABILITY_MESSAGING_CONSENT_SIGN: consent message in the tunnel response. */
  MESSAGING_CONSENT_SIGN: 0x04,
  /** HTTP_CAPABILITY_MESSAGING_SERVICE_MSG: SERVICE_MESSAGE packets. */
  MESSAGING_SERVICE_MSG: 0x08,
  /** HTTP_CAPABILITY_REAUTH: REAUTH_MESSAGE flow (we never advertise it). */
  REAUTH: 0x10,
  /** HTTP_CAPABILITY_UDP_TRANSPORT. */
  UDP_TRANSPORT: 0x20,
} as const;

/** HTTP_TUNNEL_PACKET_FIELDS_PRESENT_FLAGS (2.2.5.3.6): u16 in TUNNEL_CREATE. */
export const TunnelPacketField = {
  /** HTTP_TUNNEL_PACKET_FIELD_PAA_COOKIE: the PAA cookie blob follows. */
  PAA_COOKIE: 0x1,
  /** HTTP_TUNNEL_PACKET_FIELD_REAUTH: the u64 reauthTunnelContext follows (before the cookie). */
  REAUTH: 0x2,
} as const;

/** HTTP_TUNNEL_RESPONSE_FIELDS_PRESENT_FLAGS (2.2.5.3.8): u16 in TUNNEL_RESPONSE. */
export const TunnelResponseField = {
  /** HTTP_TUNNEL_RESPONSE_FIELD_TUNNEL_ID: u32 tunnelId. */
  TUNNEL_ID: 0x01,
  /** HTTP_TUNNEL_RESPONSE_FIELD_CAPS: u32 server caps. */
  CAPS: 0x02,
  /** HTTP_TUNNEL_RESPONSE_FIELD_SOH_REQ: nonce + server cert; clients disagree on its layout, never set it. */
  SOH_REQ: 0x04,
  /** HTTP_TUNNEL_RESPONSE_FIELD_CONSENT_MSG: HTTP_UNICODE_STRING consent message. */
  CONSENT_MSG: 0x10,
} as const;

/** HTTP_TUNNEL_AUTH_FIELDS_PRESENT_FLAGS (2.2.5.3.4): u16 in TUNNEL_AUTH. */
export const TunnelAuthField = {
  /** HTTP_TUNNEL_AUTH_FIELD_SOH: statement-of-health blob follows the client name. */
  SOH: 0x1,
} as const;

/** HTTP_TUNNEL_AUTH_RESPONSE_FIELDS_PRESENT_FLAGS (2.2.5.3.5): u16 in TUNNEL_AUTH_RESPONSE. */
export const TunnelAuthResponseField = {
  /** HTTP_TUNNEL_AUTH_RESPONSE_FIELD_REDIR_FLAGS: u32 redirection policy (TunnelRedir). */
  REDIR_FLAGS: 0x1,
  /** HTTP_TUNNEL_AUTH_RESPONSE_FIELD_IDLE_TIMEOUT: u32 idle timeout in minutes. */
  IDLE_TIMEOUT: 0x2,
  /** HTTP_TUNNEL_AUTH_RESPONSE_FIELD_SOH_RESPONSE: statement-of-health response blob. */
  SOH_RESPONSE: 0x4,
} as const;

/**
 * HTTP_CHANNEL_RESPONSE_FIELDS_PRESENT_FLAGS (2.2.5.3.1): u16 in CHANNEL_RESPONSE.
 * Wire order of the optional fields is channelId, udpPort, authnCookie — not the bit order.
 */
export const ChannelResponseField = {
  /** HTTP_CHANNEL_RESPONSE_FIELD_CHANNELID: u32 channelId (Windows clients need it on success). */
  CHANNEL_ID: 0x1,
  /** HTTP_CHANNEL_RESPONSE_FIELD_AUTHNCOOKIE: HTTP_BYTE_BLOB for the UDP transport. */
  AUTHN_COOKIE: 0x2,
  /** HTTP_CHANNEL_RESPONSE_FIELD_UDPPORT: u16 UDP port. */
  UDP_PORT: 0x4,
} as const;

/** HTTP_TUNNEL_REDIR_FLAGS (2.2.5.3.7): u32 device-redirection policy. Use ENABLE_ALL, DISABLE_ALL or DISABLE_* bits. */
export const TunnelRedir = {
  /** HTTP_TUNNEL_REDIR_ENABLE_ALL. */
  ENABLE_ALL: 0x80000000,
  /** HTTP_TUNNEL_REDIR_DISABLE_ALL. */
  DISABLE_ALL: 0x40000000,
  /** HTTP_TUNNEL_REDIR_DISABLE_DRIVE. */
  DISABLE_DRIVE: 0x00000001,
  /** HTTP_TUNNEL_REDIR_DISABLE_PRINTER. */
  DISABLE_PRINTER: 0x00000002,
  /** HTTP_TUNNEL_REDIR_DISABLE_PORT. */
  DISABLE_PORT: 0x00000004,
  /** HTTP_TUNNEL_REDIR_DISABLE_CLIPBOARD. */
  DISABLE_CLIPBOARD: 0x00000008,
  /** HTTP_TUNNEL_REDIR_DISABLE_PNP. */
  DISABLE_PNP: 0x00000010,
} as const;

/** CHANNEL_CREATE `protocol` value for RDP, the only one clients send. */
export const CHANNEL_PROTOCOL_RDP = 3;

/** HTTP_PACKET_HEADER: u16 packetType, u16 reserved, u32 packetLength (which counts these 8 bytes). */
export const PACKET_HEADER_BYTES = 8;

/** HTTP_DATA_PACKET prefix: the packet header plus u16 cbDataLen. */
export const DATA_HEADER_BYTES = PACKET_HEADER_BYTES + 2;

/** Largest DATA payload: cbDataLen is a u16. */
export const MAX_DATA_PAYLOAD_BYTES = 0xffff;

/** Largest well-formed DATA packet: 10 + 65535 = 65545 bytes. */
export const MAX_DATA_PACKET_BYTES = DATA_HEADER_BYTES + MAX_DATA_PAYLOAD_BYTES;

/**
 * Default cap on `packetLength` for received packets, enforced by the framer before any body is buffered.
 * It admits the largest DATA packet (65545) and a TUNNEL_CREATE with a full u16 PAA cookie and a reauth context
 * (16 + 8 + 2 + 65535 = 65561), with 1 KiB of headroom; it bounds per-tunnel buffering to about 65 KiB, so a
 * peer cannot make us hold a multi-megabyte "packet" (rdpgw uses the same order of limit: body ≤ 64 KiB).
 */
export const MAX_PACKET_BYTES = MAX_DATA_PACKET_BYTES + 1024;
