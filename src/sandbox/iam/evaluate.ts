/**
 * The decision for one request, in the order AWS documents it (IAM User Guide,
 * reference_policies_evaluation-logic, "Determining whether a request is allowed or denied within
 * an account", and reference_policies_evaluation-logic-cross-account):
 * 1. an explicit Deny in any policy that applies denies;
 * 2. SCPs: every level from the root to the principal's account must allow. They do not apply to
 *    the management account, to service-linked roles, or to service principals (not principals of
 *    a member account) - the authorizer says which through `RequestPrincipal`;
 * 3. RCPs: likewise for the resource's account (not for service-linked roles; the authorizer
 *    passes none for the management account's resources, which "RCPs don't affect");
 * 4. the resource-based policy, by mode (types.ts, ResourcePolicyMode) and by how its Principal
 *    names the requester (compile.ts, PrincipalMatch). In the same account, "If a resource-based
 *    policy grants permission directly to the IAM user or the session principal that is making the
 *    request, then an implicit deny in an identity-based policy, a permissions boundary, or a
 *    session policy does not impact the final decision"; one naming the role ARN "is limited by an
 *    implicit deny in a permissions boundary or session policy"; one naming the account delegates
 *    to the account's IAM policies. KMS key policies and role trust policies must allow
 *    ("they must explicitly allow access for principals"). Across accounts both the resource
 *    policy and the requester's own policies must allow;
 * 5. identity-based policies, then the permissions boundary, then session policies ("If there is no
 *    session policy, the code checks whether the principal is a role session. If the principal is a
 *    role session, then the request is Allowed. Otherwise, the request is implicitly denied" - a
 *    GetFederationToken session without a policy has no permissions).
 * The account's root user has every permission its identity side could grant ("with the exception
 * of the AWS account root user, which has full access"), still subject to SCPs, key policies, trust
 * policies and other accounts' resource policies.
 */
import { type CompiledPolicy, compilePolicy, type PrincipalMatch } from './compile';
import { contextView, type RequestContextView } from './context';
import type { ApplicablePolicies, AuthorizationRequest, Decision, PolicyDocument, PolicyKind } from './types';

/** What one set of policies says about a request: an explicit deny, and whether (and how) it allows. */
interface Verdict {
  /** An explicit Deny matched; `sid` is its Sid, if any. */
  readonly denied: boolean;
  readonly sid?: string;
  /** The strongest Allow that matched: for policies without Principal, `direct`. */
  readonly allow?: PrincipalMatch;
}

const STRENGTH: Record<PrincipalMatch, number> = { direct: 3, role: 2, wildcard: 2, account: 1 };

interface Subject {
  readonly request: AuthorizationRequest;
  readonly action: string;
  readonly context: RequestContextView;
}

/** Evaluates the statements of some documents taken together (one SCP level, all identity policies ...). */
function verdict(
  documents: readonly PolicyDocument[] | undefined,
  subject: Subject,
  withPrincipal: boolean,
): Verdict {
  let allow: PrincipalMatch | undefined;
  if (!documents) return { denied: false };
  for (const document of documents) {
    const policy: CompiledPolicy = compilePolicy(document);
    for (const statement of policy.statements) {
      if (!statement.action(subject.action)) continue;
      if (!statement.resource(subject.request.resource, subject.context)) continue;
      let match: PrincipalMatch | undefined = 'direct';
      if (withPrincipal) {
        match = statement.principal?.(subject.request.principal);
        if (match === undefined) continue;
      }
      if (statement.condition && !statement.condition(subject.context)) continue;
      if (statement.effect === 'Deny')
        return statement.sid ? { denied: true, sid: statement.sid } : { denied: true };
      if (allow === undefined || STRENGTH[match] > STRENGTH[allow]) allow = match;
    }
  }
  return allow ? { denied: false, allow } : { denied: false };
}

const deny = (policyKind: PolicyKind, explicit = false, sid?: string): Decision =>
  sid ? { effect: 'Deny', explicit, policyKind, sid } : { effect: 'Deny', explicit, policyKind };
const ALLOW: Decision = { effect: 'Allow' };

/** The first level (in order) that denies explicitly, or that has no Allow. */
function firstLevel(levels: readonly Verdict[], test: (v: Verdict) => boolean): Verdict | undefined {
  for (const level of levels) if (test(level)) return level;
  return undefined;
}

const NO_LEVELS: readonly Verdict[] = [];
const deniedBy = (v: Verdict) => v.denied;
const withoutAllow = (v: Verdict) => v.allow === undefined;

function levels(
  documents: readonly PolicyDocument[][] | undefined,
  subject: Subject,
  withPrincipal: boolean,
) {
  if (!documents || documents.length === 0) return NO_LEVELS;
  return documents.map((level) => verdict(level, subject, withPrincipal));
}

/**
 * Decides one request against the policies that apply to it. Pure: the same request and policies
 * always give the same decision; documents are compiled once and found again by identity.
 */
export function evaluate(request: AuthorizationRequest, policies: ApplicablePolicies): Decision {
  const principal = request.principal;
  const subject: Subject = { request, action: request.action.toLowerCase(), context: contextView(request) };
  const kind = principal.kind;
  const hasIdentity =
    kind === 'root' || kind === 'user' || kind === 'role-session' || kind === 'federated-user';
  const ownPolicies = hasIdentity && kind !== 'root';

  const scpsApply = hasIdentity && !principal.inManagementAccount && !principal.serviceLinkedRole;
  const scps = scpsApply ? levels(policies.scps, subject, false) : NO_LEVELS;
  const rcps = principal.serviceLinkedRole ? NO_LEVELS : levels(policies.rcps, subject, true);
  const resource = policies.resourcePolicy ? verdict([policies.resourcePolicy], subject, true) : undefined;
  const identity = ownPolicies ? verdict(policies.identityPolicies, subject, false) : undefined;
  const boundary =
    ownPolicies && policies.permissionsBoundary
      ? verdict([policies.permissionsBoundary], subject, false)
      : undefined;
  const isSession = kind === 'role-session' || kind === 'federated-user';
  const session =
    isSession && policies.sessionPolicies && policies.sessionPolicies.length > 0
      ? verdict(policies.sessionPolicies, subject, false)
      : undefined;

  // 1. Explicit deny, reported by the first kind of policy (in evaluation order) that denied.
  const scpDeny = firstLevel(scps, deniedBy);
  if (scpDeny) return deny('service control policy', true, scpDeny.sid);
  const rcpDeny = firstLevel(rcps, deniedBy);
  if (rcpDeny) return deny('resource control policy', true, rcpDeny.sid);
  if (resource?.denied) return deny('resource-based policy', true, resource.sid);
  if (identity?.denied) return deny('identity-based policy', true, identity.sid);
  if (boundary?.denied) return deny('permissions boundary', true, boundary.sid);
  if (session?.denied) return deny('session policy', true, session.sid);

  // 2-3. Every SCP level of the principal's account, every RCP level of the resource's.
  if (firstLevel(scps, withoutAllow)) return deny('service control policy');
  if (firstLevel(rcps, withoutAllow)) return deny('resource control policy');

  const resourceAllow = resource?.allow;
  // Service principals and anonymous requests have no policies of their own: the resource policy decides.
  if (!hasIdentity) return resourceAllow ? ALLOW : deny('resource-based policy');

  // 5. The requester's own side: identity policies (the root user's are all-powerful), boundary, session.
  const boundaryAllows = !boundary || boundary.allow !== undefined;
  const sessionAllows = session ? session.allow !== undefined : kind !== 'federated-user';
  const limited: PolicyKind | undefined = !boundaryAllows
    ? 'permissions boundary'
    : !sessionAllows
      ? 'session policy'
      : undefined;
  const identityAllows = kind === 'root' || identity?.allow !== undefined;
  const ownSide: PolicyKind | undefined = identityAllows ? limited : 'identity-based policy';

  const resourceAccount = request.resourceAccountId ?? principal.accountId;
  const sameAccount = principal.accountId !== undefined && resourceAccount === principal.accountId;
  if (!sameAccount) {
    // Cross-account: "The request is allowed only if both evaluations return a decision of Allow."
    if (ownSide) return deny(ownSide);
    return resourceAllow ? ALLOW : deny('resource-based policy');
  }

  // 4. Same account: what the resource policy's grant still needs, by how it names the requester.
  const mode = policies.resourcePolicyMode ?? 'standard';
  if (resourceAllow === 'direct') return ALLOW;
  const limitedGrant = resourceAllow === 'role' || resourceAllow === 'wildcard';
  if (limitedGrant && !limited) return ALLOW;
  if (mode === 'standard') {
    // An identity Allow is enough in the same account; a role or "*" grant stopped by the boundary
    // or session policy is reported as that policy's denial.
    if (!ownSide) return ALLOW;
    return deny(limitedGrant && limited ? limited : ownSide);
  }
  // KMS key policies and role trust policies: without their allow nothing else counts.
  if (resourceAllow === undefined) return deny('resource-based policy');
  if (limitedGrant && limited) return deny(limited);
  return ownSide ? deny(ownSide) : ALLOW;
}
