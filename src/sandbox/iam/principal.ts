/**
 * Who a signed request comes from, as IAM sees it: the principal (root, IAM user, role session,
 * service), its identity-based policies, permissions boundary and session policies, and the global
 * condition keys AWS puts in every request context for that principal (IAM User Guide,
 * reference_policies_condition-keys: aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID,
 * aws:PrincipalType, aws:userid, aws:username, aws:SourceIdentity, aws:TokenIssueTime ...).
 */
import type { Caller, SandboxWorld } from '../types';
import { awsManagedPolicy } from './managed-policies';
import { organizationIdOf } from './organization';
import { parsePolicy } from './policy';
import {
  findManagedPolicy,
  findRole,
  findUser,
  type IamSection,
  iamSection,
  type PolicyHolder,
} from './state';
import type { PolicyDocument, RequestContextValues, RequestPrincipal } from './types';

/** The identity side of an authorization: the principal and the policies it carries. */
export interface ResolvedPrincipal {
  principal: RequestPrincipal;
  identityPolicies: PolicyDocument[];
  permissionsBoundary?: PolicyDocument;
  sessionPolicies?: PolicyDocument[];
  /** Global condition keys of this principal. */
  context: RequestContextValues;
}

/** Root may do anything in its own account (IAM User Guide, id_root-user: "complete access"). */
const ROOT_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

function policyOf(section: IamSection, arn: string, where: string): PolicyDocument | undefined {
  if (/^arn:aws[a-z-]*:iam::aws:policy\//.test(arn)) return awsManagedPolicy(arn);
  const customer = findManagedPolicy(section, arn);
  return customer ? parsePolicy(customer.document, where) : undefined;
}

function holderPolicies(section: IamSection, holder: PolicyHolder, where: string): PolicyDocument[] {
  const out: PolicyDocument[] = [];
  for (const [name, text] of Object.entries(holder.inlinePolicies)) {
    out.push(parsePolicy(text, `${where} inline policy ${name}`));
  }
  for (const arn of holder.managedPolicyArns) {
    const doc = policyOf(section, arn, `${where} managed policy ${arn}`);
    if (doc) out.push(doc);
  }
  return out;
}

function boundaryOf(section: IamSection, holder: PolicyHolder, where: string): PolicyDocument | undefined {
  if (holder.permissionsBoundary === undefined) return undefined;
  // A boundary that names a policy that no longer exists allows nothing.
  return (
    policyOf(section, holder.permissionsBoundary, `${where} permissions boundary`) ?? {
      Version: '2012-10-17',
      Statement: [],
    }
  );
}

/**
 * The principal behind a caller, with its policies and global condition keys. A role session whose
 * role was deleted keeps working only as far as AWS lets it: with no policies, nothing is allowed.
 */
export function resolvePrincipal(world: SandboxWorld, caller: Caller): ResolvedPrincipal {
  const section = iamSection(world);
  const management = (world.scenario.organization.managementAccountId ?? '') === caller.accountId;
  const orgId = organizationIdOf(world, caller.accountId);
  const context: RequestContextValues = {
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalIsAWSService': 'false',
  };
  if (orgId !== undefined) context['aws:PrincipalOrgID'] = orgId;
  if (caller.sourceIdentity !== undefined) context['aws:SourceIdentity'] = caller.sourceIdentity;
  if (caller.issuedAt !== undefined) context['aws:TokenIssueTime'] = new Date(caller.issuedAt).toISOString();

  if (caller.federatedUser !== undefined) return federatedPrincipal(section, caller, context, management);

  if (caller.roleName !== undefined) {
    const role = findRole(section, caller.accountId, caller.roleName);
    const roleArn = role?.arn ?? `arn:aws:iam::${caller.accountId}:role/${caller.roleName}`;
    context['aws:PrincipalArn'] = roleArn;
    context['aws:PrincipalType'] = 'AssumedRole';
    context['aws:userid'] = `${role?.roleId ?? 'AROAUNKNOWN'}:${caller.sessionName ?? ''}`;
    for (const [k, v] of Object.entries(role?.tags ?? {})) context[`aws:PrincipalTag/${k}`] = v;
    const where = `role ${roleArn}`;
    const resolved: ResolvedPrincipal = {
      principal: {
        kind: 'role-session',
        arn: caller.arn,
        accountId: caller.accountId,
        roleArn,
        inManagementAccount: management,
        serviceLinkedRole: role?.path.startsWith('/aws-service-role/') ?? false,
      },
      identityPolicies: role ? holderPolicies(section, role, where) : [],
      context,
    };
    const boundary = role ? boundaryOf(section, role, where) : undefined;
    if (boundary) resolved.permissionsBoundary = boundary;
    if (caller.sessionPolicies && caller.sessionPolicies.length > 0) {
      resolved.sessionPolicies = caller.sessionPolicies.map((text, i) =>
        parsePolicy(text, `session policy ${i + 1} of ${caller.arn}`),
      );
    }
    return resolved;
  }

  if (caller.userName !== undefined) {
    const user = findUser(section, caller.accountId, caller.userName);
    const userArn = user?.arn ?? caller.arn;
    context['aws:PrincipalArn'] = userArn;
    context['aws:PrincipalType'] = 'User';
    context['aws:username'] = caller.userName;
    context['aws:userid'] = user?.userId ?? 'AIDAUNKNOWN';
    for (const [k, v] of Object.entries(user?.tags ?? {})) context[`aws:PrincipalTag/${k}`] = v;
    const where = `user ${userArn}`;
    const resolved: ResolvedPrincipal = {
      principal: { kind: 'user', arn: userArn, accountId: caller.accountId, inManagementAccount: management },
      identityPolicies: user ? holderPolicies(section, user, where) : [],
      context,
    };
    const boundary = user ? boundaryOf(section, user, where) : undefined;
    if (boundary) resolved.permissionsBoundary = boundary;
    return resolved;
  }

  const rootArn = `arn:aws:iam::${caller.accountId}:root`;
  context['aws:PrincipalArn'] = rootArn;
  context['aws:PrincipalType'] = 'Account';
  context['aws:userid'] = caller.accountId;
  return {
    principal: { kind: 'root', arn: rootArn, accountId: caller.accountId, inManagementAccount: management },
    identityPolicies: [ROOT_POLICY],
    context,
  };
}

/**
 * A GetFederationToken session: its identity policies and boundary are the issuing IAM user's
 * (read at each request, so a deny put on the user denies the session too) and its session
 * policies the ones passed to GetFederationToken; the evaluator allows only their intersection
 * and nothing without a session policy (IAM User Guide, id_credentials_temp_control-access_getfederationtoken).
 * aws:userid is `account:name` (reference_policies_variables, the principal table).
 */
function federatedPrincipal(
  section: IamSection,
  caller: Caller,
  context: RequestContextValues,
  management: boolean,
): ResolvedPrincipal {
  const federated = caller.federatedUser as NonNullable<Caller['federatedUser']>;
  context['aws:PrincipalArn'] = caller.arn;
  context['aws:PrincipalType'] = 'FederatedUser';
  context['aws:userid'] = `${caller.accountId}:${federated.name}`;
  const issuer =
    federated.issuerUserName === undefined
      ? undefined
      : findUser(section, caller.accountId, federated.issuerUserName);
  const where = `federated user ${caller.arn}`;
  const resolved: ResolvedPrincipal = {
    principal: {
      kind: 'federated-user',
      arn: caller.arn,
      accountId: caller.accountId,
      inManagementAccount: management,
    },
    // Issued by root: root's permissions; by a user that no longer exists: nothing.
    identityPolicies:
      federated.issuerUserName === undefined
        ? [ROOT_POLICY]
        : issuer
          ? holderPolicies(section, issuer, where)
          : [],
    context,
  };
  const boundary = issuer ? boundaryOf(section, issuer, where) : undefined;
  if (boundary) resolved.permissionsBoundary = boundary;
  if (caller.sessionPolicies && caller.sessionPolicies.length > 0)
    resolved.sessionPolicies = caller.sessionPolicies.map((text, i) =>
      parsePolicy(text, `session policy ${i + 1} of ${caller.arn}`),
    );
  return resolved;
}

/**
 * A service principal acting on its own behalf (CloudTrail writing to a bucket, CloudFormation or
 * Lambda assuming a role). It carries no identity policies: only resource-based policies can allow
 * it, and SCPs do not apply to it (AWS Organizations User Guide, orgs_manage_policies_scps:
 * "SCPs don't affect ... service principals").
 */
export function servicePrincipal(service: string): ResolvedPrincipal {
  return {
    principal: { kind: 'service', arn: service, service },
    identityPolicies: [],
    context: { 'aws:PrincipalServiceName': service, 'aws:PrincipalIsAWSService': 'true' },
  };
}
