/**
 * Exit codes scripts can rely on (documented in the README and in `--help`).
 */
export const ExitCodes = {
  /** The rollout succeeded (failures, if any, within tolerance), or the command did its job. */
  ok: 0,
  /** The rollout failed (beyond tolerance, canary failed, aborted). */
  rolloutFailed: 1,
  /** Bad input or configuration: nothing was started. */
  badInput: 2,
  /** Could not reach the engine or AWS (credentials, network, missing admin stack). */
  unreachable: 3,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it. */
  interrupted: 130,
  /** Stopped by SIGTERM: 128 + 15. */
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

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
  constructor(message: string) {
    super(message, ExitCodes.badInput);
    this.name = 'UsageError';
  }
}
