/**
 * Exit codes scripts can rely on. This table is the one source: `--help` prints it, the README's
 * table repeats it (a unit test keeps the two equal) and each row has an e2e test.
 */
export const ExitCodes = {
  /** The rollout succeeded (failures, if any, within tolerance), or the command did its job. */
  ok: 0,
  /** The rollout failed (beyond tolerance, canary failed, aborted), or a preview could not preview every target. */
  rolloutFailed: 1,
  /** Bad input or configuration: nothing was published, nothing was started. */
  badInput: 2,
  /** Could not reach the engine or AWS (credentials, network, missing admin stack). */
  unreachable: 3,
  /** `drift --fail-on-drift` found a target that differs from the request (repaired or not). */
  driftFound: 4,
  /**
   * An internal error: a defect in stackfleet, not in the input or the environment. 70 is
   * EX_SOFTWARE of BSD's sysexits.h ("an internal software error has been detected").
   */
  internalError: 70,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it. */
  interrupted: 130,
  /** Stopped by SIGTERM: 128 + 15. */
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** One line per exit code, for `--help` and the README table (in this order). */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [ExitCode, string]> = [
  [
    ExitCodes.ok,
    'success: the rollout succeeded (failures, if any, within tolerance) or the command did its job',
  ],
  [
    ExitCodes.rolloutFailed,
    'the rollout failed (beyond tolerance, canary failed, aborted), or a preview could not preview every target',
  ],
  [ExitCodes.badInput, 'bad input or configuration: nothing was published, nothing was started'],
  [ExitCodes.unreachable, 'could not reach the engine or AWS (credentials, network, missing admin stack)'],
  [ExitCodes.driftFound, 'drift --fail-on-drift found a target that differs from the request'],
  [ExitCodes.internalError, 'internal error: a defect in stackfleet (please report it, with DEBUG=1 output)'],
  [ExitCodes.interrupted, 'stopped by SIGINT (Ctrl-C); a sandbox writer saved its world whole first'],
  [ExitCodes.terminated, 'stopped by SIGTERM; a sandbox writer saved its world whole first'],
];

/** An error the runner prints as one line and turns into an exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Bad input: names the field/flag and the value received. */
export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCodes.badInput, options);
    this.name = 'UsageError';
  }
}
