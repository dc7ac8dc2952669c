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
  | 'shutdown';

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
  readonly endedAt?: string;
  readonly endReason?: SessionEndReason;
}
