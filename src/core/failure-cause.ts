/**
 * Reading a failure's error and cause as Step Functions hands them over (a .sync task wrapping
 * the child's DescribeExecution, a Lambda error report, the deploy-target failure contract) down
 * to the innermost error and the human reason. Used by the rollout summary and the planning
 * failure summary.
 */

/** The first resource that failed, as the deploy-target workflow reports it. */
export interface FailedResource {
  logicalId?: string;
  type?: string;
  status?: string;
  statusReason?: string;
}

export type Json = Record<string, unknown>;

/** Reasons longer than this are clipped (summary.json and the SNS message stay readable). */
const MAX_REASON_LENGTH = 1000;

export function asObject(value: unknown): Json | undefined {
  if (typeof value === 'string') {
    try {
      return asObject(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function clip(text: string, max = MAX_REASON_LENGTH): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Errors that only say "a task failed" and carry the real error inside their cause. */
const WRAPPER_ERRORS = new Set(['States.TaskFailed', 'States.Runtime', 'Error', 'Unknown']);

/** What a failed child (or its wrapping .sync task) says went wrong. */
export interface ParsedFailure {
  error: string;
  reason: string;
  accountId?: string;
  region?: string;
  stackName?: string;
  failedResource?: FailedResource;
}

/**
 * Reads a failure's error and cause. A failed `startExecution.sync:2` task may report
 * `States.TaskFailed` with a cause that is the child's DescribeExecution (with the child's own
 * `Error`/`Cause`), or the child's error directly; a Lambda failure's cause is
 * `{errorType, errorMessage}`; the deploy-target contract's cause is
 * `{reason, accountId, region, stackName, failedResource}`. All of these unwrap to the innermost error
 * and the human reason.
 */
export function parseFailure(error: string | undefined, cause: string | undefined): ParsedFailure {
  let currentError = error ?? 'Unknown';
  let currentCause: unknown = cause;
  for (let depth = 0; depth < 5; depth++) {
    const body = asObject(currentCause);
    if (!body) break;
    // A wrapped child execution (DescribeExecution shape, PascalCase or camelCase).
    const innerError = str(body.Error) ?? str(body.error);
    const innerCause = body.Cause ?? body.cause;
    if (innerError && (innerCause !== undefined || str(body.ExecutionArn) || str(body.executionArn))) {
      currentError = innerError;
      currentCause = innerCause;
      continue;
    }
    // A Lambda error.
    const errorType = str(body.errorType);
    const errorMessage = str(body.errorMessage);
    if (errorType || errorMessage) {
      if (errorType && (WRAPPER_ERRORS.has(currentError) || currentError === errorType))
        currentError = errorType;
      if (errorMessage && asObject(errorMessage)) {
        currentCause = errorMessage;
        continue;
      }
      return { error: currentError, reason: clip(errorMessage ?? errorType ?? 'The task failed.') };
    }
    // The deploy-target failure contract.
    const failedResource = asObject(body.failedResource) as FailedResource | undefined;
    const parsed: ParsedFailure = {
      error: currentError,
      reason: clip(str(body.reason) ?? str(body.message) ?? JSON.stringify(body)),
    };
    const accountId = str(body.accountId);
    const region = str(body.region);
    const stackName = str(body.stackName);
    if (accountId) parsed.accountId = accountId;
    if (region) parsed.region = region;
    if (stackName) parsed.stackName = stackName;
    if (failedResource) parsed.failedResource = failedResource;
    return parsed;
  }
  const text = typeof currentCause === 'string' && currentCause.length > 0 ? currentCause : undefined;
  if (/ExecutionAlreadyExists/.test(currentError)) {
    return {
      error: currentError,
      reason: clip(
        `A target execution with this name already exists (names stay taken for 90 days); start the rollout with a new rolloutId.${text ? ` ${text}` : ''}`,
      ),
    };
  }
  return {
    error: currentError,
    reason: clip(text ?? `The target failed with ${currentError} and no further detail.`),
  };
}
