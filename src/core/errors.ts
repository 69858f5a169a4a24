/**
 * Errors of the deployment workflow. Their `name`s are an API: the ASL `Retry`/`Catch`
 * clauses and `Fail` states match them, and the rollout summary reports them per target.
 */
export const ErrorNames = {
  InvalidInput: 'InvalidInput',
  RoleNotAssumable: 'RoleNotAssumable',
  RegionNotEnabled: 'RegionNotEnabled',
  TemplateInvalid: 'TemplateInvalid',
  StackFailed: 'StackFailed',
  StackBusy: 'StackBusy',
  TargetTimedOut: 'TargetTimedOut',
  Throttled: 'Throttled',
  TransientError: 'TransientError',
  /** Rollout state machine Fail state: more targets failed than the failure tolerance allows. */
  RolloutFailed: 'RolloutFailed',
  /** Rollout state machine Fail state: a canary target failed, so no other target started. */
  CanaryFailed: 'CanaryFailed',
  /** Rollout state machine Fail state: the targets could not be planned, so none started. */
  PlanFailed: 'PlanFailed',
  /** The stacks form: a dependency finished without the output a `fromStack` parameter reads. */
  OutputMissing: 'OutputMissing',
} as const;
export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** Base of every error stackfleet raises on purpose; anything else is a bug or an AWS surprise. */
export class StackFleetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackFleetError';
  }
}

/** Input refused before any AWS call; the message names the field and the value received. */
export class InvalidInputError extends StackFleetError {
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = ErrorNames.InvalidInput;
  }
}

/** The execution role in the target account could not be assumed (missing, untrusted, ExternalId). */
export class RoleNotAssumableError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.RoleNotAssumable;
  }
}

/** The target region is not enabled for the account (opt-in region). */
export class RegionNotEnabledError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.RegionNotEnabled;
  }
}

/** CloudFormation refused the template or its parameters/capabilities. */
export class TemplateInvalidError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.TemplateInvalid;
  }
}

/** The resource whose failure explains a failed stack operation. */
export interface FailedResourceInfo {
  logicalId: string;
  type: string;
  status: string;
  statusReason: string;
}

/** The stack operation ended in a failed state; the message is the first failed resource's reason. */
export class StackFailedError extends StackFleetError {
  readonly failedResource?: FailedResourceInfo;
  constructor(message: string, options?: { cause?: unknown; failedResource?: FailedResourceInfo }) {
    super(message, options);
    this.name = ErrorNames.StackFailed;
    if (options?.failedResource) this.failedResource = options.failedResource;
  }
}

/** Another operation holds the stack; retried by the state machine with backoff. */
export class StackBusyError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.StackBusy;
  }
}

/** The target did not settle within its per-target timeout. */
export class TargetTimedOutError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.TargetTimedOut;
  }
}

/** AWS throttled us past the SDK's own retries; the state machine retries with full jitter. */
export class ThrottledError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.Throttled;
  }
}

/** A network or 5xx error that is worth retrying. */
export class TransientError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.TransientError;
  }
}

/** The stacks form: a dependency's stack has no output a dependant's `fromStack` parameter reads. */
export class OutputMissingError extends StackFleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ErrorNames.OutputMissing;
  }
}
