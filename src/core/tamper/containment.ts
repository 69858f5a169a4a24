/**
 * Whether and how to contain the principal behind a tampering event. The setting
 * (`containment: off | repeat-offenders | always`, default `repeat-offenders` as the original
 * design) comes from the admin stack's context. The countermeasures:
 * - an IAM user (and the IAM user behind a federated session, whose permissions bound the
 *   session's) gets an inline deny-all policy, the original design's countermeasure;
 * - a role gets AWS's documented session revocation: an inline deny of everything for sessions
 *   whose `aws:TokenIssueTime` is before now (IAM User Guide, id_roles_use_revoke-sessions, the
 *   `AWSRevokeOlderSessions` policy), so the session that tampered stops and new ones work.
 * Never contained: root (nothing can deny it in its own account), AWS services, the stackfleet
 * roles (their names start with StackFleet or their path is /stackfleet/), Identity Center
 * permission sets (managed in Identity Center, revoking the role cuts every user of it), principals
 * on the allow-list, and identities stackfleet could not read. Each refusal says why.
 */
import { PrincipalKind, type TamperPrincipal } from './read-event';

export const ContainmentMode = { Off: 'off', RepeatOffenders: 'repeat-offenders', Always: 'always' } as const;
export type ContainmentMode = (typeof ContainmentMode)[keyof typeof ContainmentMode];
export const CONTAINMENT_MODES = Object.values(ContainmentMode);

/** Names of the inline policies the response puts (and an operator removes after the investigation). */
export const USER_CONTAINMENT_POLICY = 'StackFleetContainment';
export const ROLE_REVOCATION_POLICY = 'AWSRevokeOlderSessions';

export type ContainmentDecision =
  | { action: 'deny-user'; userName: string; accountId: string; reason: string }
  | { action: 'revoke-role-sessions'; roleName: string; accountId: string; reason: string }
  | { action: 'none'; reason: string };

export interface ContainmentInput {
  mode: ContainmentMode;
  principal: TamperPrincipal;
  /** Incidents recorded for this principal, this one included. */
  incidentCount: number;
  /** ARN patterns (`*` wildcards) never contained. */
  allowList?: readonly string[];
}

/** Reads the setting; names the field and the value on a bad one. */
export function parseContainmentMode(value: unknown, field = 'containment'): ContainmentMode {
  if (value === undefined || value === null || value === '') return ContainmentMode.RepeatOffenders;
  if (typeof value === 'string' && (CONTAINMENT_MODES as string[]).includes(value))
    return value as ContainmentMode;
  throw new Error(
    `${field} must be one of ${CONTAINMENT_MODES.join(', ')}. Received: ${JSON.stringify(value)}`,
  );
}

function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(value);
}

/** Whether a role is one of stackfleet's own (never contained: the response would cut itself off). */
export function isStackFleetRole(roleArn: string | undefined, roleName: string | undefined): boolean {
  return Boolean(roleName?.toLowerCase().startsWith('stackfleet') || roleArn?.includes(':role/stackfleet/'));
}

export function decideContainment(input: ContainmentInput): ContainmentDecision {
  const { principal, mode } = input;
  if (mode === ContainmentMode.Off) return { action: 'none', reason: 'containment is off' };
  if (mode === ContainmentMode.RepeatOffenders && input.incidentCount < 2)
    return {
      action: 'none',
      reason: `first offence (${input.incidentCount} incident): recorded, not contained`,
    };
  const listed = [principal.arn, principal.roleArn].filter((v): v is string => v !== undefined);
  const allowed = (input.allowList ?? []).find((p) => listed.some((arn) => globMatches(p, arn)));
  if (allowed) return { action: 'none', reason: `on the allow-list (${allowed}): alerted, never contained` };
  switch (principal.kind) {
    case PrincipalKind.Root:
      return { action: 'none', reason: 'the root user cannot be contained by a policy: alerted instead' };
    case PrincipalKind.AwsService:
      return {
        action: 'none',
        reason: `${principal.service ?? 'an AWS service'} acted: services are not contained`,
      };
    case PrincipalKind.IdentityCenter:
      return {
        action: 'none',
        reason: 'an IAM Identity Center permission set: contain the user in IAM Identity Center',
      };
    case PrincipalKind.Unknown:
      return { action: 'none', reason: 'the principal could not be read: nothing to contain safely' };
    case PrincipalKind.IamUser:
    case PrincipalKind.FederatedUser: {
      if (!principal.userName || !principal.accountId)
        return { action: 'none', reason: 'the IAM user has no name or account in the event' };
      return {
        action: 'deny-user',
        userName: principal.userName,
        accountId: principal.accountId,
        reason: `${mode === ContainmentMode.Always ? 'containment is always' : `repeat offence (${input.incidentCount} incidents)`}: deny-all policy on IAM user ${principal.userName}`,
      };
    }
    case PrincipalKind.AssumedRole: {
      if (isStackFleetRole(principal.roleArn, principal.roleName))
        return { action: 'none', reason: `${principal.roleName} is a stackfleet role: never contained` };
      if (!principal.roleName || !principal.accountId)
        return { action: 'none', reason: 'the role has no name or account in the event' };
      return {
        action: 'revoke-role-sessions',
        roleName: principal.roleName,
        accountId: principal.accountId,
        reason: `${mode === ContainmentMode.Always ? 'containment is always' : `repeat offence (${input.incidentCount} incidents)`}: sessions of role ${principal.roleName} issued before now revoked`,
      };
    }
  }
}

/** The inline policy a decision puts on the principal (JSON text), `now` as an ISO date. */
export function containmentPolicy(
  decision: ContainmentDecision,
  now: string,
): { name: string; document: string } | undefined {
  if (decision.action === 'deny-user')
    return {
      name: USER_CONTAINMENT_POLICY,
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'StackFleetContainsTampering', Effect: 'Deny', Action: '*', Resource: '*' }],
      }),
    };
  if (decision.action === 'revoke-role-sessions')
    return {
      name: ROLE_REVOCATION_POLICY,
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Action: ['*'],
            Resource: ['*'],
            Condition: { DateLessThan: { 'aws:TokenIssueTime': now } },
          },
        ],
      }),
    };
  return undefined;
}
