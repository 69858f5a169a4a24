/**
 * What each of CloudFormation's 23 stack statuses means to stackfleet. Two questions are asked
 * of a status: "has the operation we started settled, and how?" (`classifyStackStatus`, used by
 * Check stack) and "what must Deploy stack do to bring this stack to the template?"
 * (`planStackAction`). Both are pure so the tables can be tested row by row.
 */

/** All stack statuses, as the CloudFormation API spells them. */
export const StackStatuses = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
] as const;
export type StackStatusName = (typeof StackStatuses)[number];

/** Where an operation stands once CloudFormation reports a status. */
export const StackPhases = {
  InProgress: 'in-progress',
  Succeeded: 'succeeded',
  Failed: 'failed',
} as const;
export type StackPhase = (typeof StackPhases)[keyof typeof StackPhases];

const phaseByStatus: Record<StackStatusName, StackPhase> = {
  CREATE_IN_PROGRESS: 'in-progress',
  CREATE_FAILED: 'failed',
  CREATE_COMPLETE: 'succeeded',
  // A rollback is still running: wait for it, so the target ends on a settled stack that the
  // next rollout can act on, and the reason comes from the complete event history.
  ROLLBACK_IN_PROGRESS: 'in-progress',
  ROLLBACK_FAILED: 'failed',
  ROLLBACK_COMPLETE: 'failed',
  DELETE_IN_PROGRESS: 'in-progress',
  DELETE_FAILED: 'failed',
  // Someone deleted the stack while we waited: the baseline is not in place.
  DELETE_COMPLETE: 'failed',
  UPDATE_IN_PROGRESS: 'in-progress',
  // Resources are updated; CloudFormation is only deleting replaced ones. The stack is usable.
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: 'succeeded',
  UPDATE_COMPLETE: 'succeeded',
  UPDATE_FAILED: 'failed',
  UPDATE_ROLLBACK_IN_PROGRESS: 'in-progress',
  UPDATE_ROLLBACK_FAILED: 'failed',
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'in-progress',
  UPDATE_ROLLBACK_COMPLETE: 'failed',
  REVIEW_IN_PROGRESS: 'in-progress',
  IMPORT_IN_PROGRESS: 'in-progress',
  IMPORT_COMPLETE: 'succeeded',
  IMPORT_ROLLBACK_IN_PROGRESS: 'in-progress',
  IMPORT_ROLLBACK_FAILED: 'failed',
  IMPORT_ROLLBACK_COMPLETE: 'failed',
};

/** True for the 23 statuses CloudFormation documents; anything else is a new status we must learn. */
export function isStackStatus(value: unknown): value is StackStatusName {
  return typeof value === 'string' && Object.hasOwn(phaseByStatus, value);
}

/**
 * Whether the operation stackfleet started has settled. Statuses CloudFormation adds later
 * count as in progress, so a new status makes the workflow wait (and time out with the status
 * in the reason) rather than report a success that did not happen.
 */
export function classifyStackStatus(status: string): StackPhase {
  return isStackStatus(status) ? phaseByStatus[status] : StackPhases.InProgress;
}

/** What Deploy stack does with a stack it finds in a given status. */
export const StackActions = {
  /** No stack (or only a deleted one): CreateStack. */
  Create: 'create',
  /** A settled, usable stack: UpdateStack. */
  Update: 'update',
  /** A stack that holds no usable resources and can only be deleted: delete it, then create. */
  Recreate: 'recreate',
  /** A failed update rollback: ContinueUpdateRollback, then update. */
  ContinueRollback: 'continue-rollback',
  /** Another operation holds the stack: wait for it, then decide again. */
  Wait: 'wait',
  /** A state that needs a person (resources may be orphaned); report it and touch nothing. */
  Refuse: 'refuse',
} as const;
export type StackAction = (typeof StackActions)[keyof typeof StackActions];

const actionByStatus: Record<StackStatusName, StackAction> = {
  CREATE_IN_PROGRESS: 'wait',
  // Only reachable with rollback disabled; what was created is kept for a person to inspect.
  CREATE_FAILED: 'refuse',
  CREATE_COMPLETE: 'update',
  ROLLBACK_IN_PROGRESS: 'wait',
  ROLLBACK_FAILED: 'refuse',
  // A failed first create: CloudFormation only allows deleting it.
  ROLLBACK_COMPLETE: 'recreate',
  DELETE_IN_PROGRESS: 'wait',
  DELETE_FAILED: 'refuse',
  DELETE_COMPLETE: 'create',
  UPDATE_IN_PROGRESS: 'wait',
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: 'wait',
  UPDATE_COMPLETE: 'update',
  // Only with rollback disabled; CloudFormation accepts another update from here.
  UPDATE_FAILED: 'update',
  UPDATE_ROLLBACK_IN_PROGRESS: 'wait',
  UPDATE_ROLLBACK_FAILED: 'continue-rollback',
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'wait',
  UPDATE_ROLLBACK_COMPLETE: 'update',
  // A stack created by a change set that was never executed (a preview): it has no resources.
  REVIEW_IN_PROGRESS: 'recreate',
  IMPORT_IN_PROGRESS: 'wait',
  IMPORT_COMPLETE: 'update',
  IMPORT_ROLLBACK_IN_PROGRESS: 'wait',
  IMPORT_ROLLBACK_FAILED: 'refuse',
  IMPORT_ROLLBACK_COMPLETE: 'update',
};

/**
 * The action that moves a stack towards the template. `undefined` means there is no stack.
 * Unknown statuses wait, for the same reason `classifyStackStatus` treats them as in progress.
 */
export function planStackAction(status: string | undefined): StackAction {
  if (status === undefined) return StackActions.Create;
  return isStackStatus(status) ? actionByStatus[status] : StackActions.Wait;
}

/** Statuses that mark the start of a new stack operation in the event history. */
export const OperationStartStatuses: ReadonlySet<string> = new Set([
  'CREATE_IN_PROGRESS',
  'UPDATE_IN_PROGRESS',
  'DELETE_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
]);

/** The fields of a CloudFormation stack event stackfleet reads (the SDK's `StackEvent` fits). */
export interface StackEventLike {
  readonly Timestamp?: Date | string;
  readonly LogicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceStatus?: string;
  readonly ResourceStatusReason?: string;
  readonly ClientRequestToken?: string;
}

/** The resource whose failure made the operation fail: what a person fixes. */
export interface FailedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly status: string;
  readonly statusReason: string;
}

const STACK_TYPE = 'AWS::CloudFormation::Stack';

/** The stack's own event (its status changes), as opposed to one of its resources (nested stacks included). */
export function isStackLevelEvent(event: StackEventLike, stackName: string): boolean {
  return event.ResourceType === STACK_TYPE && event.LogicalResourceId === stackName;
}

function time(event: StackEventLike): number {
  const t = event.Timestamp;
  if (t === undefined) return 0;
  // The SDK gives Date objects; building a new Date per event showed up in large-rollout profiles.
  return t instanceof Date ? t.getTime() : Date.parse(String(t));
}

/**
 * The stack's latest status from one page of DescribeStackEvents (newest first), so a check
 * costs one call. With `token`, and events that carry tokens, only a status event of our own
 * operation counts: a status from before our operation became visible must not read as
 * "settled". `undefined` means the page does not tell; ask DescribeStacks.
 */
export function readStackStatusFromEvents(
  eventsNewestFirst: readonly StackEventLike[],
  stackName: string,
  token?: string,
): { status: string; reason?: string } | undefined {
  const tokensInUse = token !== undefined && eventsNewestFirst.some((e) => e.ClientRequestToken);
  const event = eventsNewestFirst.find(
    (e) => isStackLevelEvent(e, stackName) && (!tokensInUse || e.ClientRequestToken === token),
  );
  if (!event?.ResourceStatus) return undefined;
  // With tokens: a newer stack event of another operation means ours is over; let DescribeStacks say.
  if (tokensInUse) {
    const newest = eventsNewestFirst.find((e) => isStackLevelEvent(e, stackName));
    if (newest !== event) return undefined;
  }
  return {
    status: event.ResourceStatus,
    ...(event.ResourceStatusReason ? { reason: event.ResourceStatusReason } : {}),
  };
}

/**
 * The events of one operation, newest first, and whether its start was seen. With tokens on the
 * events this is exact; without, it is everything since the newest stack-level start status.
 */
export function operationEvents(
  eventsNewestFirst: readonly StackEventLike[],
  stackName: string,
  token?: string,
): { events: StackEventLike[]; startSeen: boolean } {
  const isStart = (e: StackEventLike) =>
    isStackLevelEvent(e, stackName) && OperationStartStatuses.has(e.ResourceStatus ?? '');
  if (token !== undefined && eventsNewestFirst.some((e) => e.ClientRequestToken === token)) {
    const events = eventsNewestFirst.filter((e) => e.ClientRequestToken === token);
    return { events, startSeen: events.some(isStart) };
  }
  const startIndex = eventsNewestFirst.findIndex(isStart);
  if (startIndex < 0) return { events: [...eventsNewestFirst], startSeen: false };
  return { events: eventsNewestFirst.slice(0, startIndex + 1), startSeen: true };
}

const CANCELLED = /cancell?ed/i;

/**
 * The first resource that failed in an operation: the oldest `*_FAILED` event of a resource
 * (not the stack), skipping the "Resource creation cancelled" noise of resources CloudFormation
 * stopped because another one failed.
 */
export function firstFailedResource(
  operationEventsNewestFirst: readonly StackEventLike[],
  stackName: string,
): FailedResource | undefined {
  const oldestFirst = [...operationEventsNewestFirst].sort((a, b) => time(a) - time(b));
  const failed = oldestFirst.find(
    (e) =>
      !isStackLevelEvent(e, stackName) &&
      (e.ResourceStatus ?? '').endsWith('_FAILED') &&
      !CANCELLED.test(e.ResourceStatusReason ?? ''),
  );
  if (!failed) return undefined;
  return {
    logicalId: failed.LogicalResourceId ?? 'unknown',
    type: failed.ResourceType ?? 'unknown',
    status: failed.ResourceStatus ?? 'unknown',
    statusReason: failed.ResourceStatusReason ?? 'no reason given',
  };
}

/** The stack's own explanation for a failure (e.g. "The following resource(s) failed to create: [Topic]."). */
export function stackLevelReason(
  operationEventsNewestFirst: readonly StackEventLike[],
  stackName: string,
): string | undefined {
  return operationEventsNewestFirst.find(
    (e) =>
      isStackLevelEvent(e, stackName) &&
      e.ResourceStatusReason &&
      e.ResourceStatusReason !== 'User Initiated',
  )?.ResourceStatusReason;
}

/**
 * When each resource of an operation started and ended, in seconds after `operationStartMs`
 * (for the wait policy's projection of a create). A resource whose start is on an older page
 * has only its end.
 */
export function observedResources(
  operationEventsNewestFirst: readonly StackEventLike[],
  stackName: string,
  operationStartMs: number,
): Map<string, { startSeconds?: number; endSeconds?: number }> {
  const out = new Map<string, { startSeconds?: number; endSeconds?: number }>();
  for (let i = operationEventsNewestFirst.length - 1; i >= 0; i--) {
    const event = operationEventsNewestFirst[i] as StackEventLike;
    if (!event.LogicalResourceId || isStackLevelEvent(event, stackName)) continue;
    const status = event.ResourceStatus ?? '';
    const at = (time(event) - operationStartMs) / 1000;
    const entry = out.get(event.LogicalResourceId) ?? {};
    if (status.endsWith('_IN_PROGRESS') && entry.startSeconds === undefined) entry.startSeconds = at;
    else if (status.endsWith('_COMPLETE')) entry.endSeconds = at;
    out.set(event.LogicalResourceId, entry);
  }
  return out;
}

/**
 * Resource progress of an operation for the wait policy: how long finished resources took and
 * how long running ones have run. Resources that failed or are being cleaned up are left out.
 */
export function resourceProgress(
  operationEventsNewestFirst: readonly StackEventLike[],
  stackName: string,
  now: Date,
): { doneSeconds: number[]; runningSeconds: number[] } {
  const byResource = new Map<string, { start?: number; last?: StackEventLike }>();
  const oldestFirst = [...operationEventsNewestFirst].sort((a, b) => time(a) - time(b));
  for (const event of oldestFirst) {
    if (isStackLevelEvent(event, stackName) || !event.LogicalResourceId) continue;
    const entry = byResource.get(event.LogicalResourceId) ?? {};
    const status = event.ResourceStatus ?? '';
    if (entry.start === undefined && status.endsWith('_IN_PROGRESS')) entry.start = time(event);
    entry.last = event;
    byResource.set(event.LogicalResourceId, entry);
  }
  const doneSeconds: number[] = [];
  const runningSeconds: number[] = [];
  for (const { start, last } of byResource.values()) {
    if (start === undefined || !last) continue;
    const status = last.ResourceStatus ?? '';
    if (status.endsWith('_COMPLETE')) doneSeconds.push(Math.max(0, (time(last) - start) / 1000));
    else if (status.endsWith('_IN_PROGRESS'))
      runningSeconds.push(Math.max(0, (now.getTime() - start) / 1000));
  }
  return { doneSeconds, runningSeconds };
}
