/**
 * CloudTrail records of management calls, and their delivery to EventBridge as "AWS API Call via
 * CloudTrail" events on the default bus of the account and region of the call (EventBridge User
 * Guide, eb-service-event-cloudtrail). The record has CloudTrail's shape (CloudTrail User Guide,
 * cloudtrail-event-reference-record-contents) and the caller's `userIdentity`
 * (cloudtrail-event-reference-user-identity): IAMUser, AssumedRole with its sessionIssuer, Root.
 * Only write calls reach EventBridge by default (read-only ones need a rule state that opts in),
 * and "to record events with a detail-type value of AWS API Call via CloudTrail, you need a
 * CloudTrail trail with logging enabled": a call in an account and region no logging trail covers
 * produces no event. The call that stops the last trail is itself recorded (the check is made
 * before the call takes effect).
 */
import { createHash } from 'node:crypto';
import { findRole, findUser, iamSection } from '../../iam/state';
import type { Caller, OperationContext, SandboxWorld } from '../../types';
import { type EventEnvelope, eventsRuntime, newEventId, putEventOnBus } from '../events/delivery';
import { eventBusArn } from '../events-state';
import { loggingTrailsFor } from './state';

/** Milliseconds from a call to its event on the bus (scenario `events.cloudTrailDelayMs`). */
export function cloudTrailDelayMs(world: SandboxWorld): number {
  // CloudTrail documents no figure for EventBridge delivery; the scenario decides (default 30 s).
  return world.scenario.events?.cloudTrailDelayMs ?? 30_000;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CloudTrail's `userIdentity` of a sandbox caller. */
export function userIdentityOf(world: SandboxWorld, caller: Caller): Record<string, unknown> {
  const section = iamSection(world);
  if (caller.roleName !== undefined) {
    const role = findRole(section, caller.accountId, caller.roleName);
    const roleId = role?.roleId ?? 'AROAUNKNOWN';
    const identity: Record<string, unknown> = {
      type: 'AssumedRole',
      principalId: `${roleId}:${caller.sessionName ?? ''}`,
      arn: caller.arn,
      accountId: caller.accountId,
      accessKeyId: caller.accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: roleId,
          arn: role?.arn ?? `arn:aws:iam::${caller.accountId}:role/${caller.roleName}`,
          accountId: caller.accountId,
          userName: caller.roleName,
        },
        attributes: {
          creationDate: iso(caller.issuedAt ?? world.now()),
          mfaAuthenticated: 'false',
        },
        ...(caller.sourceIdentity !== undefined ? { sourceIdentity: caller.sourceIdentity } : {}),
      },
    };
    return identity;
  }
  if (caller.userName !== undefined) {
    const user = findUser(section, caller.accountId, caller.userName);
    return {
      type: 'IAMUser',
      principalId: user?.userId ?? 'AIDAUNKNOWN',
      arn: user?.arn ?? caller.arn,
      accountId: caller.accountId,
      accessKeyId: caller.accessKeyId,
      userName: caller.userName,
    };
  }
  return {
    type: 'Root',
    principalId: caller.accountId,
    arn: `arn:aws:iam::${caller.accountId}:root`,
    accountId: caller.accountId,
    accessKeyId: caller.accessKeyId,
  };
}

export interface ApiCallFacts {
  eventSource: string;
  eventName: string;
  requestParameters: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * Records a write call of `ctx.caller` and, when a logging trail covers the account and region,
 * puts its event on the default bus after the CloudTrail delay. Call it before the call changes
 * the trail, so the call that stops logging is recorded. Returns the event, or undefined.
 */
export function recordApiCall(ctx: OperationContext, facts: ApiCallFacts): EventEnvelope | undefined {
  const { world, caller, region } = ctx;
  if (loggingTrailsFor(world, caller.accountId, region).length === 0) return undefined;
  const now = ctx.now();
  const eventId = newEventId(world);
  const detail: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: userIdentityOf(world, caller),
    eventTime: iso(now),
    eventSource: facts.eventSource,
    eventName: facts.eventName,
    awsRegion: region,
    sourceIPAddress: ctx.sourceIp ?? '127.0.0.1',
    userAgent: ctx.userAgent ?? '',
    requestParameters: facts.requestParameters,
    responseElements: facts.responseElements ?? null,
    requestID: ctx.requestId,
    eventID: createHash('sha256')
      .update(`cloudtrail:${eventId}`)
      .digest('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5'),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: caller.accountId,
    eventCategory: 'Management',
  };
  if (facts.errorCode !== undefined) detail.errorCode = facts.errorCode;
  if (facts.errorMessage !== undefined) detail.errorMessage = facts.errorMessage;
  const event: EventEnvelope = {
    version: '0',
    id: eventId,
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${facts.eventSource.split('.')[0]}`,
    account: caller.accountId,
    time: iso(now),
    region,
    resources: [],
    detail,
  };
  const runtime = eventsRuntime(world);
  const flight: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, cloudTrailDelayMs(world)))
    .then(() => {
      putEventOnBus(world, eventBusArn(caller.accountId, region), event);
    })
    .finally(() => runtime.inFlight.delete(flight));
  runtime.inFlight.add(flight);
  return event;
}
