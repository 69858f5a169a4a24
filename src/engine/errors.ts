/**
 * Errors of the local engine. `code` is the AWS Step Functions API error code the sandbox
 * answers with (`ExecutionAlreadyExists`, `InvalidName`, ...), so a caller using the real
 * SFNClient sees the same exception names as against AWS.
 */
export const EngineErrorCodes = {
  InvalidName: 'InvalidName',
  InvalidArn: 'InvalidArn',
  InvalidDefinition: 'InvalidDefinition',
  InvalidExecutionInput: 'InvalidExecutionInput',
  ExecutionAlreadyExists: 'ExecutionAlreadyExists',
  ExecutionDoesNotExist: 'ExecutionDoesNotExist',
  StateMachineDoesNotExist: 'StateMachineDoesNotExist',
  StateMachineAlreadyExists: 'StateMachineAlreadyExists',
  ResourceNotFound: 'ResourceNotFound',
  ValidationException: 'ValidationException',
  InvalidToken: 'InvalidToken',
  TaskTimedOut: 'TaskTimedOut',
  TaskDoesNotExist: 'TaskDoesNotExist',
  InvalidOutput: 'InvalidOutput',
} as const;
export type EngineErrorCode = (typeof EngineErrorCodes)[keyof typeof EngineErrorCodes];

/** An API-level refusal of the engine; the sandbox turns it into an AWS error with the same code. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
  }
}

/**
 * A failure inside a running state (a Task's error). `name` is what `Retry`/`Catch` match and
 * `message` becomes the `Cause`, exactly as the ASL author sees them on AWS.
 */
export class StateTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}
