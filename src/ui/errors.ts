/** Errors of the UI server; the JSON API answers them with their `name` and message. */
export class UiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UiError';
  }
}

/** A query parameter is missing or malformed; the message names it and the value received. */
export class UiRequestError extends UiError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'UiRequestError';
  }
}

/** No rollout was given and none could be found on the rollout state machine. */
export class RolloutNotFoundError extends UiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RolloutNotFound';
  }
}

/** The page bundle could not be built (esbuild missing or a syntax error in src/ui/page). */
export class PageBuildError extends UiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PageBuildError';
  }
}

/**
 * An execution ARN of a state machine that is not stackfleet's: the API answers 403 and reads
 * nothing about it (its input may hold another workload's secrets).
 */
export class ForeignExecutionError extends UiError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ForeignExecution';
  }
}
