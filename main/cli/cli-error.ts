/** Exit statuses, as well-behaved Unix tools use them. */
export const ExitCode = {
  OK: 0,
  /** The command ran and failed (a host that does not exist, a port in use…). */
  FAILURE: 1,
  /** The command line was wrong; nothing was done. */
  USAGE: 2,
} as const;

/** An error the user can act on: printed as `homegate: <message>` with no stack, and exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.FAILURE,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.USAGE);
  }
}
