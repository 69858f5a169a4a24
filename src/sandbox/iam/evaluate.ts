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

  const scpsApply = hasIdentity && !principal.inManagementAccount && !principal.serviceLinkedRole;
  const scpLevels = scpsApply ? (policies.scps ?? []) : [];
  const rcpLevels = principal.serviceLinkedRole ? [] : (policies.rcps ?? []);
  const scps = scpLevels.map((level) => verdict(level, subject, false));
  const rcps = rcpLevels.map((level) => verdict(level, subject, true));
  const resource = policies.resourcePolicy ? verdict([policies.resourcePolicy], subject, true) : undefined;
  const identity =
    hasIdentity && kind !== 'root' ? verdict(policies.identityPolicies, subject, false) : undefined;
  const boundary =
    hasIdentity && kind !== 'root' && policies.permissionsBoundary
      ? verdict([policies.permissionsBoundary], subject, false)
      : undefined;
  const isSession = kind === 'role-session' || kind === 'federated-user';
  const sessionPolicies = isSession ? (policies.sessionPolicies ?? []) : [];
  const session = sessionPolicies.length > 0 ? verdict(sessionPolicies, subject, false) : undefined;

  // 1. Explicit deny, reported by the first kind of policy (in evaluation order) that denied.
  const explicit: [Verdict | undefined, PolicyKind][] = [
    ...scps.map((v): [Verdict, PolicyKind] => [v, 'service control policy']),
    ...rcps.map((v): [Verdict, PolicyKind] => [v, 'resource control policy']),
    [resource, 'resource-based policy'],
    [identity, 'identity-based policy'],
    [boundary, 'permissions boundary'],
    [session, 'session policy'],
  ];
  for (const [v, policyKind] of explicit) if (v?.denied) return deny(policyKind, true, v.sid);

  // 2-3. Every SCP level of the principal's account, every RCP level of the resource's.
  if (scps.some((v) => !v.allow)) return deny('service control policy');
  if (rcps.some((v) => !v.allow)) return deny('resource control policy');

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
  if (resourceAllow === 'role' || resourceAllow === 'wildcard') {
    if (!limited) return ALLOW;
    if (mode !== 'standard') return deny(limited);
  }
  if (mode === 'standard')
    return ownSide ? deny(resourceAllow && resourceAllow !== 'account' ? limited! : ownSide) : ALLOW;
  // KMS key policies and role trust policies: without their allow nothing else counts.
  if (resourceAllow === undefined) return deny('resource-based policy');
  return ownSide ? deny(ownSide) : ALLOW;
}
