/**
 * The token store's records and CloudFormation's Stack Status Change events, as pure data.
 *
 * One object per stack operation, keyed by the stack id and the operation's ClientRequestToken
 * (an event names both; a newer operation has another token, so its key is another):
 * - a **waiter** (Register stack wait): the task token of the execution waiting for this operation,
 *   and what Match stack event needs to answer it;
 * - an **event** (Match stack event): the operation's final status, when it arrived with nobody
 *   waiting (before the wait was registered, or after the waiter's task timed out) so the next
 *   registration for the operation finds it at once.
 * Whoever writes first wins (conditional writes) and the other reads what it wrote, so an event
 * and a registration crossing each other cannot both miss: see src/aws/stack-waits.ts.
 * Records expire (`expiresAt`, checked by every reader) and a lifecycle rule removes leftovers.
 */
import { InvalidInputError } from './errors';
import { classifyStackStatus, StackPhases } from './stack-status';
import type { TargetProgress } from './target-progress';

/** The environment variable naming the stack-wait bucket (set by the CDK app on both functions). */
export const STACK_WAIT_BUCKET_VARIABLE = 'STACKFLEET_STACK_WAIT_BUCKET';

/** Key prefix in the stack-wait bucket (its lifecycle rule expires what is under it). */
export const STACK_WAIT_PREFIX = 'stack-waits/';

/**
 * Where Match stack event notes, per region, when a forwarded event of that region last came:
 * Deploy stack waits long for a first event only where events are known to flow (a region with
 * no forwarder, or every event lost, then costs nothing over polling).
 */
export const EVENTS_FLOWING_PREFIX = `${STACK_WAIT_PREFIX}_events-flowing/`;
/** A region counts as flowing this long after its last forwarded event. */
export const EVENTS_FLOWING_SECONDS = 6 * 3600;

export function eventsFlowingKey(region: string): string {
  if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) {
    throw new InvalidInputError(
      'region',
      `region must be a region name such as eu-west-1. Received: ${region}`,
    );
  }
  return `${EVENTS_FLOWING_PREFIX}${region}.json`;
}

/** Whether a marker's text says events of its region came within EVENTS_FLOWING_SECONDS of `now`. */
export function eventsFlowingAt(text: string | undefined, now: Date): boolean {
  if (!text) return false;
  try {
    const at = Date.parse((JSON.parse(text) as { lastEventAt?: string }).lastEventAt ?? '');
    return Number.isFinite(at) && now.getTime() - at < EVENTS_FLOWING_SECONDS * 1000;
  } catch {
    return false;
  }
}

/** A waiter outlives its task's TimeoutSeconds by this much, then counts as gone. */
export const WAITER_GRACE_SECONDS = 300;
/** An event nobody waited for is kept this long for a registration of its operation. */
export const EVENT_RECORD_SECONDS = 3600;

const STACK_ID =
  /^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):(\d{12}):stack\/([A-Za-z][A-Za-z0-9-]{0,127})\/([0-9a-f-]{36})$/;
const CLIENT_REQUEST_TOKEN = /^[a-zA-Z0-9][-a-zA-Z0-9]{0,127}$/;

/**
 * `stack-waits/<account>/<region>/<stack name>/<stack uuid>/<ClientRequestToken>.json`: readable by
 * an operator, one key per operation. Refuses what is not a stack id or a token CloudFormation takes.
 */
export function stackWaitKey(stackId: string, clientRequestToken: string): string {
  const m = STACK_ID.exec(stackId);
  if (!m) {
    throw new InvalidInputError(
      'stackId',
      `stackId must be a CloudFormation stack ARN. Received: ${stackId}`,
    );
  }
  if (!CLIENT_REQUEST_TOKEN.test(clientRequestToken)) {
    throw new InvalidInputError(
      'clientRequestToken',
      `clientRequestToken must be 1-128 of [a-zA-Z0-9-]. Received: ${clientRequestToken}`,
    );
  }
  const [, region, account, name, uuid] = m;
  return `${STACK_WAIT_PREFIX}${account}/${region}/${name}/${uuid}/${clientRequestToken}.json`;
}

/** What the matcher needs of the target to answer a waiter (no credentials, no parameters). */
export type WaiterTarget = Record<string, unknown>;

export interface WaiterRecord {
  kind: 'waiter';
  taskToken: string;
  /** ISO time after which the waiter's task is surely closed. */
  expiresAt: string;
  registeredAt: string;
  /** The target input's identity fields (parseTargetInput accepts them). */
  target: WaiterTarget;
  /** The progress Deploy stack or Check stack left (IN_PROGRESS, with stackId and token). */
  progress: TargetProgress;
}

export interface EventRecord {
  kind: 'event';
  status: string;
  reason: string;
  /** When the status changed (the event's time). */
  time: string;
  expiresAt: string;
}

export type StackWaitRecord = WaiterRecord | EventRecord;

/** A record's text parsed, or undefined for anything else (an unreadable record counts as none). */
export function parseStackWaitRecord(text: string): StackWaitRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<StackWaitRecord>;
    if (value.kind === 'waiter' && typeof value.taskToken === 'string' && typeof value.expiresAt === 'string')
      return value as WaiterRecord;
    if (value.kind === 'event' && typeof value.status === 'string' && typeof value.expiresAt === 'string')
      return value as EventRecord;
  } catch {
    // not JSON: treated as absent
  }
  return undefined;
}

/** Whether a record is past its expiry at `now` (S3 lifecycle expiry is lazy; readers decide). */
export function isExpired(record: StackWaitRecord, now: Date): boolean {
  return Date.parse(record.expiresAt) <= now.getTime();
}

/** Fields of the target input a waiter keeps: enough to assume the execution role and read events. */
const WAITER_TARGET_FIELDS = [
  'rolloutId',
  'mode',
  'accountId',
  'region',
  'stackName',
  'templateUrl',
  'templateVersion',
  'executionRoleName',
  'cloudFormationRoleName',
  'externalId',
  'timeoutSeconds',
  'stackEvents',
] as const;

export function waiterTarget(input: Record<string, unknown>): WaiterTarget {
  const out: WaiterTarget = {};
  for (const field of WAITER_TARGET_FIELDS) if (input[field] !== undefined) out[field] = input[field];
  return out;
}

/** A Stack Status Change event's facts (CloudFormation User Guide, event-detail-stack-status-change). */
export interface StackStatusFacts {
  stackId: string;
  status: string;
  reason: string;
  /** Empty for an operation started without a ClientRequestToken. */
  clientRequestToken: string;
  time: string;
  /** Whether the operation has ended, and how (in-progress statuses change nothing). */
  phase: (typeof StackPhases)[keyof typeof StackPhases];
}

/** Reads an EventBridge event; refuses anything that is not a Stack Status Change, naming the field. */
export function parseStackStatusEvent(event: unknown): StackStatusFacts {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const refuse = (field: string, value: unknown): never => {
    throw new InvalidInputError(
      field,
      `${field} must be that of a CloudFormation Stack Status Change event. Received: ${JSON.stringify(value ?? null)}`,
    );
  };
  if (e.source !== 'aws.cloudformation') refuse('source', e.source);
  if (e['detail-type'] !== 'CloudFormation Stack Status Change') refuse('detail-type', e['detail-type']);
  const detail = (typeof e.detail === 'object' && e.detail !== null ? e.detail : {}) as Record<
    string,
    unknown
  >;
  const stackId = detail['stack-id'];
  if (typeof stackId !== 'string' || !STACK_ID.test(stackId)) refuse('detail.stack-id', stackId);
  const statusDetails = (detail['status-details'] ?? {}) as Record<string, unknown>;
  const status = statusDetails.status;
  if (typeof status !== 'string' || status === '') refuse('detail.status-details.status', status);
  const token = detail['client-request-token'];
  return {
    stackId: stackId as string,
    status: status as string,
    reason:
      typeof statusDetails['status-reason'] === 'string' ? (statusDetails['status-reason'] as string) : '',
    clientRequestToken: typeof token === 'string' ? token : '',
    time: typeof e.time === 'string' ? e.time : '',
    phase: classifyStackStatus(status as string),
  };
}

/** Whether an event says the operation ended (succeeded or failed). */
export function isFinal(facts: StackStatusFacts): boolean {
  return facts.phase !== StackPhases.InProgress;
}
