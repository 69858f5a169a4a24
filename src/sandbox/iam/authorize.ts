/**
 * Authorization of sandbox requests: builds the request AWS would evaluate (principal, action,
 * resource, condition keys), gathers the policies that apply (SCPs of the principal's account,
 * the resource's policy, the principal's identity policies, boundary and session policies),
 * evaluates them with the pure evaluator, and answers a denial in the calling service's shape
 * with AWS's message ("User: ... is not authorized to perform: ... because no identity-based
 * policy allows ...", IAM User Guide, troubleshoot_access-denied).
 */
import { AwsError, type Caller, type OperationIam, type SandboxWorld } from '../types';
import { evaluate } from './evaluate';
import { denialMessage } from './messages';
import { organizationIdOf, scpLevelsFor } from './organization';
import { parsePolicy } from './policy';
import { type ResolvedPrincipal, resolvePrincipal } from './principal';
import { iamSection, revisionOf } from './state';
import type {
  ApplicablePolicies,
  AuthorizationRequest,
  Decision,
  PolicyDocument,
  RequestContextValues,
  ResourcePolicyMode,
} from './types';

/** One permission a request needs. */
export interface AuthorizationSpec {
  /** `service:Action`. */
  action: string;
  /** Resource ARN or `*`. */
  resource: string;
  /** The account that owns the resource; default the principal's. */
  resourceAccountId?: string;
  /** The resource's own policy (bucket/key/topic/bus policy, a role's trust policy), if any. */
  resourcePolicy?: PolicyDocument | string;
  resourcePolicyMode?: ResourcePolicyMode;
  /** Service-specific condition keys (`s3:ResourceAccount`, `cloudformation:RoleArn` ...). */
  context?: RequestContextValues;
}

/** The error a service answers a denial with. */
export interface DenialShape {
  code: string;
  status: number;
}

/** Denial codes per signing name, as each service's API reference documents them. */
export const DENIAL_SHAPES: Record<string, DenialShape> = {
  sts: { code: 'AccessDenied', status: 403 },
  s3: { code: 'AccessDenied', status: 403 },
  iam: { code: 'AccessDenied', status: 403 },
  cloudformation: { code: 'AccessDenied', status: 403 },
  sns: { code: 'AuthorizationError', status: 403 },
  ec2: { code: 'UnauthorizedOperation', status: 403 },
  organizations: { code: 'AccessDeniedException', status: 400 },
  states: { code: 'AccessDeniedException', status: 400 },
  kms: { code: 'AccessDeniedException', status: 400 },
  events: { code: 'AccessDeniedException', status: 400 },
  dynamodb: { code: 'AccessDeniedException', status: 400 },
  cloudtrail: { code: 'AccessDeniedException', status: 400 },
  config: { code: 'AccessDeniedException', status: 400 },
  lambda: { code: 'AccessDeniedException', status: 403 },
  logs: { code: 'AccessDeniedException', status: 400 },
};

/** Whether IAM is enforced in this world (scenario `iam.enforce`, default true). */
export function iamEnforced(world: SandboxWorld): boolean {
  return world.scenario.iam?.enforce !== false;
}

/** Per-request facts AWS adds to every request context. */
export interface RequestFacts {
  region: string;
  now: number;
  secureTransport?: boolean;
  /** A service making the call with the caller's credentials (forward access sessions): aws:CalledVia. */
  calledVia?: string[];
}

const principalCache = new Map<
  string,
  { revision: string; world: SandboxWorld; resolved: ResolvedPrincipal }
>();

/** The caller's principal and policies, cached per access key until IAM changes. */
export function principalOf(world: SandboxWorld, caller: Caller): ResolvedPrincipal {
  const revision = revisionOf(iamSection(world), caller.accountId);
  const hit = principalCache.get(caller.accessKeyId);
  if (hit && hit.world === world && hit.revision === revision) return hit.resolved;
  const resolved = resolvePrincipal(world, caller);
  if (principalCache.size >= 20_000) principalCache.clear();
  principalCache.set(caller.accessKeyId, { revision, world, resolved });
  return resolved;
}

/** The context keys every spec of one request shares, built once per request (specs inherit them). */
const baseContexts = new WeakMap<RequestFacts, { who: ResolvedPrincipal; base: RequestContextValues }>();

function baseContextOf(who: ResolvedPrincipal, facts: RequestFacts): RequestContextValues {
  const hit = baseContexts.get(facts);
  if (hit && hit.who === who) return hit.base;
  // The principal's keys are inherited (the evaluator reads with for-in), not copied per request.
  const base = Object.create(who.context) as RequestContextValues;
  base['aws:RequestedRegion'] = facts.region;
  base['aws:SecureTransport'] = facts.secureTransport === false ? 'false' : 'true';
  base['aws:ViaAWSService'] = facts.calledVia && facts.calledVia.length > 0 ? 'true' : 'false';
  base['aws:EpochTime'] = String(Math.floor(facts.now / 1000));
  // Formatted only if a condition reads it.
  Object.defineProperty(base, 'aws:CurrentTime', {
    enumerable: true,
    get: () => new Date(facts.now).toISOString(),
  });
  if (facts.calledVia && facts.calledVia.length > 0) {
    base['aws:CalledVia'] = facts.calledVia;
    base['aws:CalledViaFirst'] = facts.calledVia[0];
    base['aws:CalledViaLast'] = facts.calledVia[facts.calledVia.length - 1];
  }
  baseContexts.set(facts, { who, base });
  return base;
}

function requestOf(
  world: SandboxWorld,
  who: ResolvedPrincipal,
  spec: AuthorizationSpec,
  facts: RequestFacts,
): AuthorizationRequest {
  // The evaluator reads keys with for-in, so the shared keys are inherited, not copied.
  const context = Object.create(baseContextOf(who, facts)) as RequestContextValues;
  const resourceAccount = spec.resourceAccountId ?? who.principal.accountId;
  if (resourceAccount !== undefined && spec.resource !== '*') {
    // IAM User Guide, reference_policies_condition-keys: aws:ResourceAccount and aws:ResourceOrgID
    // describe the account (and its organisation) that owns the resource.
    context['aws:ResourceAccount'] = resourceAccount;
    const org = organizationIdOf(world, resourceAccount);
    if (org !== undefined) context['aws:ResourceOrgID'] = org;
  }
  if (spec.context) Object.assign(context, spec.context);
  const request: AuthorizationRequest = {
    principal: who.principal,
    action: spec.action,
    resource: spec.resource,
    context,
  };
  if (spec.resourceAccountId !== undefined) request.resourceAccountId = spec.resourceAccountId;
  return request;
}

function policiesOf(
  world: SandboxWorld,
  who: ResolvedPrincipal,
  spec: AuthorizationSpec,
): ApplicablePolicies {
  const policies: ApplicablePolicies = { identityPolicies: who.identityPolicies };
  const p = who.principal;
  if (p.accountId !== undefined && p.kind !== 'service' && !p.inManagementAccount && !p.serviceLinkedRole) {
    const scps = scpLevelsFor(world, p.accountId);
    if (scps.length > 0) policies.scps = scps;
  }
  if (spec.resourcePolicy !== undefined) {
    policies.resourcePolicy =
      typeof spec.resourcePolicy === 'string'
        ? parsePolicy(spec.resourcePolicy, `resource policy of ${spec.resource}`)
        : spec.resourcePolicy;
  }
  if (spec.resourcePolicyMode !== undefined) policies.resourcePolicyMode = spec.resourcePolicyMode;
  if (who.permissionsBoundary) policies.permissionsBoundary = who.permissionsBoundary;
  if (who.sessionPolicies) policies.sessionPolicies = who.sessionPolicies;
  return policies;
}

/** Evaluates one permission; returns the decision and the request it was made for. */
export function decide(
  world: SandboxWorld,
  who: ResolvedPrincipal,
  spec: AuthorizationSpec,
  facts: RequestFacts,
): { decision: Decision; request: AuthorizationRequest } {
  const request = requestOf(world, who, spec, facts);
  if (!iamEnforced(world)) return { decision: { effect: 'Allow' }, request };
  return { decision: evaluate(request, policiesOf(world, who, spec)), request };
}

/** The AWS-shaped error for a denial. */
export function denialError(request: AuthorizationRequest, decision: Decision, shape: DenialShape): AwsError {
  return new AwsError(shape.code, denialMessage(request, decision) ?? 'Access Denied', shape.status);
}

/** Throws the service's denial unless every spec is allowed (in order: the first denial is reported). */
export function authorize(
  world: SandboxWorld,
  who: ResolvedPrincipal,
  specs: AuthorizationSpec[],
  facts: RequestFacts,
  shape: DenialShape,
): void {
  for (const spec of specs) {
    const { decision, request } = decide(world, who, spec, facts);
    if (decision.effect !== 'Allow') throw denialError(request, decision, shape);
  }
}

/** The IAM handle an operation gets (`ctx.iam`): the caller's principal, the request's facts, checks. */
export function operationIam(
  world: SandboxWorld,
  who: ResolvedPrincipal,
  facts: RequestFacts,
  shape: DenialShape,
): OperationIam {
  return {
    who,
    facts,
    authorize: (specs) => authorize(world, who, specs, facts, shape),
    decide: (spec) => decide(world, who, spec, facts),
  };
}
