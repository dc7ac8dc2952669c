/** How a client reached the gateway. */
export type TransportKind = 'websocket' | 'http' | 'relay';

/** Why a session ended. Stable strings: they go in the audit log and the UI. */
export type SessionEndReason =
  | 'client-closed'
  | 'target-closed'
  | 'target-error'
  | 'transport-error'
  | 'protocol-error'
  | 'admin-disconnect'
  | 'shutdown'
  /** No data either way for the configured idle timeout. */
  | 'idle-timeout'
  /** The session reached the configured maximum lifetime. */
  | 'lifetime'
  /** The access token expired and the gateway ends sessions at token expiry. */
  | 'token-expired'
  /** The session's token was put on the revocation list (JRL). */
  | 'revoked';

/** What a relay (ASSOCIATION) token said about its session, as the `/jet/sessions` API reports it. */
export interface AssociationInfo {
  /** `jet_aid`. */
  readonly associationId: string;
  /** `jet_ap`. */
  readonly applicationProtocol: string;
  /** `dst_hst` as a canonical TargetAddr. */
  readonly destinationHost: string;
  /** `jet_flt`. */
  readonly filtering: boolean;
}

/** A live (or just-ended) session as the UI and the audit log see it. */
export interface SessionInfo {
  readonly id: string;
  readonly transport: TransportKind;
  readonly clientAddress: string;
  readonly clientName: string | undefined;
  readonly tokenId: string;
  /** The allowed host's name. */
  readonly host: string;
  /** The address and port actually dialled. */
  readonly target: string;
  readonly startedAt: string;
  readonly bytesToTarget: number;
  readonly bytesToClient: number;
  /** Present for relay sessions. */
  readonly association?: AssociationInfo;
  /** True when the host answered only after the gateway sent it a Wake-on-LAN packet. */
  readonly woken?: boolean;
  readonly endedAt?: string;
  readonly endReason?: SessionEndReason;
}
