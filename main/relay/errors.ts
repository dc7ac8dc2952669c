/**
 * The relay's failures, one class per step, each with a stable `failure` word for the audit log and the caller:
 * reading the preconnection PDU (`PcbError`), dialling a target (`DialError`), and the policy's refusal of a token
 * or its targets (`RelayRefusal`). All are `RelayError`s.
 */

/** Base class of every relay failure; a subclass narrows `failure` to its step's words. */
export class RelayError<Failure extends string = string> extends Error {
  override readonly name: string = 'RelayError';
  constructor(
    /** A stable word for the audit log (`bad-version`, `timeout`, `not-allowed-host`…). */
    readonly failure: Failure,
    message: string,
  ) {
    super(message);
  }
}

export type PcbFailure = 'no-pcb' | 'bad-size' | 'too-large' | 'bad-version' | 'bad-length';

/** The bytes before RDP are not a preconnection PDU we accept. */
export class PcbError extends RelayError<PcbFailure> {
  override readonly name = 'PcbError';
}

export type DialFailure = 'resolve-failed' | 'timeout' | 'refused' | 'unreachable' | 'error';

/** A target could not be reached over TCP. */
export class DialError extends RelayError<DialFailure> {
  override readonly name = 'DialError';
}

/** A refusal: which step refused and why, in the stable words the audit log uses. */
export class RelayRefusal extends RelayError {
  override readonly name = 'RelayRefusal';
  constructor(
    readonly stage: 'token' | 'target',
    failure: string,
    message: string,
    readonly tokenId?: string,
  ) {
    super(failure, message);
  }
}
