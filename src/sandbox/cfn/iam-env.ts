/**
 * Who CloudFormation acts as. Three principals take part in a stack operation (CloudFormation User
 * Guide, using-iam-servicerole):
 * - the caller, for the API call itself and for reading TemplateURL;
 * - with a service role (RoleARN, or the role the stack already has): a session of that role that
 *   `cloudformation.amazonaws.com` assumes, which makes every resource call ("If you specify a
 *   service role, CloudFormation uses that role's credentials");
 * - without one: the caller again, through a forward access session ("By default, CloudFormation
 *   uses a temporary session that it generates from your user credentials"), which carries
 *   `aws:CalledVia = [cloudformation.amazonaws.com]` and `aws:ViaAWSService = true` (IAM User Guide,
 *   reference_policies_condition-keys, aws:CalledVia / aws:ViaAWSService).
 */
import { iamEnforced, principalOf, type RequestFacts } from '../iam/authorize';
import { type ResolvedPrincipal, resolvePrincipal } from '../iam/principal';
import { findRoleByArn, iamSection, revisionOf } from '../iam/state';
import { assumeRoleAsService } from '../services/sts';
import { AwsError, type OperationContext, type SandboxWorld } from '../types';
import type { World } from '../world';

export const CLOUDFORMATION_SERVICE = 'cloudformation.amazonaws.com';
/** The session name CloudFormation gives service role sessions (`assumed-role/<role>/AWSCloudFormation`, seen in AWS's denials). */
export const SERVICE_ROLE_SESSION_NAME = 'AWSCloudFormation';

/** A principal and the request facts of the calls it makes. */
export interface Acting {
  who: ResolvedPrincipal;
  facts: RequestFacts;
}

/** The caller of an operation: the request path's resolution when it made one, else resolved here. */
export function callerOf(ctx: OperationContext): Acting {
  if (ctx.iam) return { who: ctx.iam.who, facts: ctx.iam.facts };
  const facts: RequestFacts = { region: ctx.region, now: ctx.now() };
  if (ctx.caller.secureTransport !== undefined) facts.secureTransport = ctx.caller.secureTransport;
  return { who: principalOf(ctx.world, ctx.caller), facts };
}

/** The caller's credentials used by CloudFormation on its behalf (a forward access session). */
export function forwardAccess(caller: Acting): Acting {
  return { who: caller.who, facts: { ...caller.facts, calledVia: [CLOUDFORMATION_SERVICE] } };
}

function roleInvalid(roleArn: string): AwsError {
  // AWS Knowledge Center, cloudformation-role-arn-error: "Role <ROLE_ARN> is invalid or cannot be assumed".
  return new AwsError('ValidationError', `Role ${roleArn} is invalid or cannot be assumed`);
}

function sessionCaller(roleArn: string, now: number) {
  const [, accountId = '', name = ''] =
    /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
  return {
    accountId,
    accessKeyId: `cloudformation-service-role/${roleArn}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${name}/${SERVICE_ROLE_SESSION_NAME}`,
    roleName: name,
    sessionName: SERVICE_ROLE_SESSION_NAME,
    issuedAt: now,
  };
}

const sessionCache = new WeakMap<SandboxWorld, Map<string, { revision: string; who: ResolvedPrincipal }>>();

/**
 * `cloudformation.amazonaws.com` assumes the service role: the role must exist and its trust
 * policy must admit the service principal (mode 'role-trust'). The request context holds only
 * what every request carries: CloudFormation's documentation does not say it sends
 * `aws:SourceAccount` or `aws:SourceArn` when it assumes a service role, so the sandbox sends
 * neither (a trust policy that requires them fails here, which is stricter than a guess).
 * Throws AWS's ValidationError "Role ... is invalid or cannot be assumed" otherwise.
 */
export function assumeServiceRole(world: SandboxWorld, roleArn: string, region: string, now: number): Acting {
  const section = iamSection(world);
  const facts: RequestFacts = { region, now };
  const enforced = iamEnforced(world);
  const role = findRoleByArn(section, roleArn);
  if (!role) {
    // With IAM off (scenario `iam.enforce: false`) the sandbox behaves as it did before IAM:
    // roles need not exist; the session has no policies, and nothing is checked.
    if (!enforced) return { who: resolvePrincipal(world, sessionCaller(roleArn, now)), facts };
    throw roleInvalid(roleArn);
  }
  // STS issues the session (its trust evaluated for the service, with no aws:SourceAccount or
  // aws:SourceArn, see above); with IAM off nothing is evaluated.
  const session = assumeRoleAsService(world as unknown as World, {
    service: CLOUDFORMATION_SERVICE,
    roleArn: role.arn,
    sessionName: SERVICE_ROLE_SESSION_NAME,
    now,
  });
  if (session instanceof AwsError) throw roleInvalid(roleArn);
  let perWorld = sessionCache.get(world);
  if (!perWorld) {
    perWorld = new Map();
    sessionCache.set(world, perWorld);
  }
  const cached = perWorld.get(role.arn);
  if (cached && cached.revision === revisionOf(section, role.accountId)) return { who: cached.who, facts };
  const who = resolvePrincipal(world, { ...sessionCaller(role.arn, now), accessKeyId: session.accessKeyId });
  if (perWorld.size > 5000) perWorld.clear();
  perWorld.set(role.arn, { revision: revisionOf(section, role.accountId), who });
  return { who, facts };
}

/**
 * Who makes the resource calls of an operation on a stack: the service role (the operation's
 * RoleARN, else the one the stack already has: "CloudFormation always uses that role for all
 * operations that are performed on that stack"), else the caller's forward access session.
 */
export function resourceActor(
  world: SandboxWorld,
  caller: Acting,
  roleArn: string | undefined,
  region: string,
  now: number,
): Acting {
  return roleArn ? assumeServiceRole(world, roleArn, region, now) : forwardAccess(caller);
}
