/**
 * Reads a forwarded tampering event (the EventBridge envelope of an "AWS API Call via CloudTrail"
 * record) into what the response needs: where, what, when, from where, and who, for every
 * `userIdentity` type CloudTrail writes (CloudTrail User Guide, cloudtrail-event-reference-user-
 * identity: Root, IAMUser, AssumedRole with its sessionContext.sessionIssuer, FederatedUser,
 * AWSService, AWSAccount; IAM Identity Center users arrive as AssumedRole on an
 * `AWSReservedSSO_*` role under /aws-reserved/sso.amazonaws.com/). It never throws: an event of
 * an unknown shape or a malformed one comes back with `problems`, so it is recorded and alerted.
 */

export const PrincipalKind = {
  IamUser: 'iam-user',
  AssumedRole: 'assumed-role',
  FederatedUser: 'federated-user',
  IdentityCenter: 'identity-center',
  AwsService: 'aws-service',
  Root: 'root',
  Unknown: 'unknown',
} as const;
export type PrincipalKind = (typeof PrincipalKind)[keyof typeof PrincipalKind];

export interface TamperPrincipal {
  kind: PrincipalKind;
  /** The identity's ARN as CloudTrail wrote it (a session ARN for roles). */
  arn?: string;
  accountId?: string;
  /** IAM user name (IAM users, and the user behind a federated session). */
  userName?: string;
  /** The role a session was issued on (assumed roles, Identity Center). */
  roleArn?: string;
  roleName?: string;
  sessionName?: string;
  /** The service that called (AWSService). */
  service?: string;
  /** What incidents are keyed by: the user's ARN, the role's ARN, root's ARN, or the raw identity. */
  key: string;
  /** One line for people: "IAM user mallory (arn:...)". */
  label: string;
}

export const TamperTargetKind = {
  Trail: 'trail',
  Recorder: 'recorder',
  DeliveryChannel: 'delivery-channel',
  Unknown: 'unknown',
} as const;
export type TamperTargetKind = (typeof TamperTargetKind)[keyof typeof TamperTargetKind];

export interface TamperEvent {
  /** The EventBridge event id (the same on a duplicate delivery). */
  eventId: string;
  account: string;
  region: string;
  eventName: string;
  eventSource: string;
  /** ISO 8601. */
  eventTime: string;
  sourceIp: string;
  userAgent: string;
  target: { kind: TamperTargetKind; name?: string };
  principal: TamperPrincipal;
  /** What was wrong with the event; empty for a well-formed one. */
  problems: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const TRAIL_EVENTS = new Set([
  'StopLogging',
  'DeleteTrail',
  'UpdateTrail',
  'PutEventSelectors',
  'PutInsightSelectors',
  'StartLogging',
]);
const RECORDER_EVENTS = new Set([
  'StopConfigurationRecorder',
  'DeleteConfigurationRecorder',
  'PutConfigurationRecorder',
  'StartConfigurationRecorder',
]);

function roleNameOf(arn: string | undefined): string | undefined {
  return arn ? arn.split('/').pop() : undefined;
}

/** The principal behind a CloudTrail `userIdentity`. */
export function readPrincipal(identity: unknown, problems: string[]): TamperPrincipal {
  if (!isObj(identity)) {
    problems.push(
      `detail.userIdentity must be an object. Received: ${JSON.stringify(identity) ?? 'undefined'}`,
    );
    return { kind: PrincipalKind.Unknown, key: 'unknown', label: 'an unknown principal (no userIdentity)' };
  }
  const type = text(identity.type);
  const arn = text(identity.arn);
  const accountId = text(identity.accountId);
  const issuer =
    isObj(identity.sessionContext) && isObj(identity.sessionContext.sessionIssuer)
      ? identity.sessionContext.sessionIssuer
      : undefined;
  switch (type) {
    case 'Root':
      return {
        kind: PrincipalKind.Root,
        ...(arn ? { arn } : {}),
        ...(accountId ? { accountId } : {}),
        key: arn ?? `arn:aws:iam::${accountId ?? 'unknown'}:root`,
        label: `the root user of ${accountId ?? 'an unknown account'}`,
      };
    case 'IAMUser': {
      const userName = text(identity.userName) ?? arn?.split('/').pop();
      return {
        kind: PrincipalKind.IamUser,
        ...(arn ? { arn } : {}),
        ...(accountId ? { accountId } : {}),
        ...(userName ? { userName } : {}),
        key: arn ?? `user:${userName ?? 'unknown'}`,
        label: `IAM user ${userName ?? '(no name)'} (${arn ?? 'no ARN'})`,
      };
    }
    case 'AssumedRole': {
      const roleArn = text(issuer?.arn);
      const roleName = text(issuer?.userName) ?? roleNameOf(roleArn);
      const sessionName = arn?.split('/').pop();
      if (!roleArn)
        problems.push(
          'detail.userIdentity.sessionContext.sessionIssuer.arn is missing for an AssumedRole identity',
        );
      const identityCenter = Boolean(
        roleName?.startsWith('AWSReservedSSO_') || roleArn?.includes('/aws-reserved/sso.amazonaws.com/'),
      );
      const base = {
        ...(arn ? { arn } : {}),
        ...(accountId ? { accountId } : {}),
        ...(roleArn ? { roleArn } : {}),
        ...(roleName ? { roleName } : {}),
        ...(sessionName ? { sessionName } : {}),
      };
      if (identityCenter)
        return {
          kind: PrincipalKind.IdentityCenter,
          ...base,
          key: arn ?? roleArn ?? 'identity-center:unknown',
          label: `IAM Identity Center user ${sessionName ?? '(unknown)'} through permission set role ${roleName ?? '(unknown)'}`,
        };
      return {
        kind: PrincipalKind.AssumedRole,
        ...base,
        key: roleArn ?? arn ?? 'role:unknown',
        label: `role ${roleName ?? '(unknown)'} session ${sessionName ?? '(unknown)'} (${roleArn ?? 'no role ARN'})`,
      };
    }
    case 'FederatedUser': {
      // GetFederationToken: the session is issued by an IAM user, whose policies bound it.
      const userArn = text(issuer?.arn);
      const userName = text(issuer?.userName) ?? userArn?.split('/').pop();
      if (!userArn)
        problems.push(
          'detail.userIdentity.sessionContext.sessionIssuer.arn is missing for a FederatedUser identity',
        );
      return {
        kind: PrincipalKind.FederatedUser,
        ...(arn ? { arn } : {}),
        ...(accountId ? { accountId } : {}),
        ...(userName ? { userName } : {}),
        ...(userArn ? { roleArn: userArn } : {}),
        key: userArn ?? arn ?? 'federated:unknown',
        label: `federated user ${arn?.split('/').pop() ?? '(unknown)'} issued by IAM user ${userName ?? '(unknown)'}`,
      };
    }
    case 'AWSService': {
      const service = text(identity.invokedBy) ?? 'an AWS service';
      return {
        kind: PrincipalKind.AwsService,
        service,
        key: `service:${service}`,
        label: `the AWS service ${service}`,
      };
    }
    default:
      problems.push(
        `detail.userIdentity.type is not one stackfleet knows. Received: ${JSON.stringify(identity.type)}`,
      );
      return {
        kind: PrincipalKind.Unknown,
        ...(arn ? { arn } : {}),
        ...(accountId ? { accountId } : {}),
        key: arn ?? `unknown:${JSON.stringify(identity).slice(0, 200)}`,
        label: `an unknown principal (${type ?? 'no type'}${arn ? `, ${arn}` : ''})`,
      };
  }
}

function targetOf(eventName: string, params: unknown): TamperEvent['target'] {
  const p = isObj(params) ? params : {};
  if (TRAIL_EVENTS.has(eventName)) {
    const name = text(p.name) ?? text(p.trailName);
    return { kind: TamperTargetKind.Trail, ...(name ? { name: name.split('/').pop() as string } : {}) };
  }
  if (RECORDER_EVENTS.has(eventName)) {
    const recorder = isObj(p.configurationRecorder) ? text(p.configurationRecorder.name) : undefined;
    const name = text(p.configurationRecorderName) ?? recorder;
    return { kind: TamperTargetKind.Recorder, ...(name ? { name } : {}) };
  }
  if (eventName === 'DeleteDeliveryChannel') {
    const name = text(p.deliveryChannelName);
    return { kind: TamperTargetKind.DeliveryChannel, ...(name ? { name } : {}) };
  }
  return { kind: TamperTargetKind.Unknown };
}

/** Reads an event; see the module comment. Never throws. */
export function readTamperEvent(input: unknown): TamperEvent {
  const problems: string[] = [];
  const event = isObj(input) ? input : {};
  if (!isObj(input))
    problems.push(
      `The event must be an object. Received: ${JSON.stringify(input)?.slice(0, 200) ?? 'undefined'}`,
    );
  const detail = isObj(event.detail) ? event.detail : {};
  if (!isObj(event.detail)) problems.push('detail is missing: not an "AWS API Call via CloudTrail" event');
  else if (event['detail-type'] !== 'AWS API Call via CloudTrail')
    problems.push(
      `detail-type must be "AWS API Call via CloudTrail". Received: ${JSON.stringify(event['detail-type'])}`,
    );
  const eventName = text(detail.eventName) ?? 'unknown';
  if (eventName === 'unknown') problems.push('detail.eventName is missing');
  const account = text(event.account) ?? text(detail.recipientAccountId) ?? 'unknown';
  const region = text(event.region) ?? text(detail.awsRegion) ?? 'unknown';
  if (account === 'unknown' || !/^\d{12}$/.test(account))
    problems.push(`account must be 12 digits. Received: ${JSON.stringify(event.account)}`);
  const principal = readPrincipal(detail.userIdentity, problems);
  const target = targetOf(eventName, detail.requestParameters);
  if (target.kind === TamperTargetKind.Unknown && eventName !== 'unknown')
    problems.push(`detail.eventName is not a tampering call stackfleet responds to. Received: ${eventName}`);
  return {
    eventId:
      text(event.id) ?? `no-id:${eventName}:${text(detail.eventTime) ?? ''}:${principal.key}`.slice(0, 200),
    account,
    region,
    eventName,
    eventSource: text(detail.eventSource) ?? 'unknown',
    eventTime: text(detail.eventTime) ?? text(event.time) ?? 'unknown',
    sourceIp: text(detail.sourceIPAddress) ?? 'unknown',
    userAgent: text(detail.userAgent) ?? 'unknown',
    target,
    principal,
    problems,
  };
}
