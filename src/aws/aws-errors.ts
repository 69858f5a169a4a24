import {
  RegionNotEnabledError,
  RoleNotAssumableError,
  StackBusyError,
  StackFailedError,
  StackFleetError,
  TemplateInvalidError,
  ThrottledError,
  TransientError,
} from '../core/errors';

/**
 * Turns AWS SDK errors into stackfleet's named errors, whose names the state machine's Retry
 * and Catch match and the rollout summary reports. Errors we do not recognise are returned as
 * they are: an unknown failure is better shown raw than disguised.
 */

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

/** The AWS error code (`ValidationError`, `AccessDenied`, ...) of an SDK error. */
export function awsErrorCode(error: unknown): string | undefined {
  const e = shape(error);
  return e.Code ?? e.name ?? e.code;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}

const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

const TRANSIENT_CODES = new Set([
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'IDPCommunicationError',
]);

/** CloudFormation's answer when an update changes nothing; it comes in several wordings, so match the sentence. */
export function isNoUpdatesError(error: unknown): boolean {
  return errorMessage(error).includes('No updates are to be performed');
}

/** DescribeStacks on a stack name that has no live stack. */
export function isStackMissingError(error: unknown): boolean {
  return awsErrorCode(error) === 'ValidationError' && /does not exist/i.test(errorMessage(error));
}

function retryableOrUndefined(error: unknown, what: string): StackFleetError | undefined {
  const e = shape(error);
  const code = awsErrorCode(error) ?? '';
  if (THROTTLING_CODES.has(code))
    return new ThrottledError(`${what} was throttled: ${errorMessage(error)}`, { cause: error });
  const status = e.$metadata?.httpStatusCode;
  if (TRANSIENT_CODES.has(code) || (status !== undefined && status >= 500) || e.$fault === 'server') {
    return new TransientError(`${what} failed with a transient error (${code}): ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return undefined;
}

/** Where a call went, for messages a person can act on. */
export interface CallTarget {
  readonly accountId: string;
  readonly region: string;
  readonly roleArn?: string;
  readonly stackName?: string;
  /** The API operation, e.g. `CreateStack`. */
  readonly operation: string;
}

/** Maps an STS AssumeRole failure. */
export function mapAssumeRoleError(error: unknown, target: CallTarget): Error {
  const code = awsErrorCode(error) ?? '';
  const what = `AssumeRole ${target.roleArn ?? ''}`.trim();
  const mapped = retryableOrUndefined(error, what);
  if (mapped) return mapped;
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    return new RoleNotAssumableError(
      `Could not assume ${target.roleArn} in account ${target.accountId}: ${errorMessage(error)}. ` +
        'Check that the execution role exists there, trusts the stackfleet admin account, allows sts:SetSourceIdentity, and expects this external id.',
      { cause: error },
    );
  }
  if (code === 'RegionDisabledException') {
    return new RegionNotEnabledError(
      `STS is not activated in the region used to assume ${target.roleArn}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(errorMessage(error));
}

/** Maps a CloudFormation failure in a target (after the role was assumed). */
export function mapCloudFormationError(error: unknown, target: CallTarget): Error {
  const code = awsErrorCode(error) ?? '';
  const message = errorMessage(error);
  const where = `${target.operation} in ${target.accountId}/${target.region}`;
  const mapped = retryableOrUndefined(error, where);
  if (mapped) return mapped;

  // An opt-in region the account has not enabled does not know the session's token.
  if (
    code === 'InvalidClientTokenId' ||
    code === 'UnrecognizedClientException' ||
    code === 'OptInRequired' ||
    /region .*(not enabled|disabled)|not (subscribed|opted)/i.test(message)
  ) {
    return new RegionNotEnabledError(
      `Region ${target.region} is not enabled for account ${target.accountId} (${code}: ${message}). Enable the region in the account or leave it out of the rollout.`,
      { cause: error },
    );
  }
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    return new RoleNotAssumableError(
      `The execution role ${target.roleArn ?? ''} was assumed in ${target.accountId} but may not call ${target.operation}: ${message}. Update the bootstrap role's permissions.`,
      { cause: error },
    );
  }
  if (code === 'InsufficientCapabilitiesException' || /requires capabilities/i.test(message)) {
    return new TemplateInvalidError(
      `${where}: the template needs capabilities the rollout did not grant: ${message}`,
      {
        cause: error,
      },
    );
  }
  if (code === 'AlreadyExistsException' || code === 'TokenAlreadyExistsException') {
    return new StackBusyError(`${where}: ${message}`, { cause: error });
  }
  if (code === 'ValidationError') {
    if (/IN_PROGRESS state|can ?not be (updated|deleted)|is in .* state/i.test(message)) {
      return new StackBusyError(
        `${where}: another operation holds stack ${target.stackName ?? ''}: ${message}`,
        { cause: error },
      );
    }
    return new TemplateInvalidError(
      `${where}: CloudFormation refused the template or its parameters: ${message}`,
      { cause: error },
    );
  }
  if (code === 'LimitExceededException') {
    // The quota on resources in concurrent stack operations (CloudFormation User Guide, "Understand
    // CloudFormation quotas") frees up as other operations in the account and region finish, so
    // it is retried like a busy stack; other account limits (the number of stacks) are not.
    if (/concurrent/i.test(message)) {
      return new StackBusyError(
        `${where}: CloudFormation's limit on resources in concurrent stack operations is reached in this account and region (other stacks are being deployed there): ${message}`,
        { cause: error },
      );
    }
    return new StackFailedError(`${where}: an account limit stops the stack: ${message}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(message);
}

/**
 * Errors that end a target with a definite reason: the handlers return them as a FAILED
 * progress record (the "Target failed" state turns it into the execution's Error and Cause).
 * Everything else is thrown, so the state machine's Retry (Throttled, TransientError, StackBusy)
 * or its catch-all records it.
 */
export const TerminalErrorNames: ReadonlySet<string> = new Set([
  'InvalidInput',
  'RoleNotAssumable',
  'RegionNotEnabled',
  'TemplateInvalid',
  'StackFailed',
  'TargetTimedOut',
]);

/** Whether an error ends the target rather than being retried. */
export function isTerminalError(error: unknown): error is StackFleetError {
  return error instanceof StackFleetError && TerminalErrorNames.has(error.name);
}

/**
 * The error a handler throws for anything it does not end the target with (retryable errors,
 * surprises): same `name`, so Retry still matches, and a message that is the JSON failure cause
 * (`{"reason", "accountId", "region", "stackName"}`). When retries run out, the workflow's
 * catch-all passes that message on as the execution's Cause without building JSON in ASL
 * (the local engine's intrinsics strip backslashes, which breaks JSON built with them).
 */
export function functionError(
  error: unknown,
  target: { accountId: string | null; region: string | null; stackName: string | null },
): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const thrown = new Error(
    JSON.stringify({
      reason: errorMessage(error),
      accountId: target.accountId,
      region: target.region,
      stackName: target.stackName,
    }),
    { cause: error },
  );
  thrown.name = name;
  return thrown;
}
