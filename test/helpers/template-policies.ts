/**
 * The IAM policies a CloudFormation template would create, resolved for one stack, and decided
 * with the sandbox's own rules: the template is read by the sandbox's CloudFormation parser and
 * intrinsic functions (src/sandbox/cfn: parameters, Conditions, Fn::If, Fn::Sub ...), each
 * document is checked as IAM stores it (parsePolicy) and every request is decided by the
 * sandbox's evaluator (src/sandbox/iam evaluate: explicit deny, boundaries, resource policies,
 * every condition operator with AWS's rules for missing keys). So these tests and the sandbox
 * cannot disagree about what a policy means.
 */
import { readFileSync } from 'node:fs';
import {
  containsUnresolved,
  type EvalContext,
  evaluateConditions,
  resolveValue,
} from '../../src/sandbox/cfn/intrinsics';
import { type ParsedTemplate, parseTemplate, type TemplateValue } from '../../src/sandbox/cfn/template';
import {
  type ApplicablePolicies,
  evaluate,
  type PolicyDocument,
  parsePolicy,
  type RequestContextValues,
  type RequestPrincipal,
} from '../../src/sandbox/iam';

export type { PolicyDocument };
export type Template = ParsedTemplate;

/** One request: who asks (a session of this role), the action, the resource ARN and the keys the service sends. */
export interface Request {
  /** The ARN of the role whose session makes the request (`arn:aws:iam::A:role/path/Name`). */
  principal: string;
  action: string;
  resource: string;
  context?: RequestContextValues;
}

export type Decision = 'Allow' | 'ImplicitDeny' | 'ExplicitDeny';

/** A template file as the sandbox's CloudFormation parses it (short tags in their long form). */
export function loadTemplate(file: string): Template {
  return parseTemplate(readFileSync(file, 'utf8'));
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

/**
 * Resolves values of the template as CloudFormation would for one stack: the parameters (defaults
 * plus `parameters`), its Conditions, and the names the bootstrap gives its IAM resources (roles
 * by RoleName, managed policies by ManagedPolicyName). A value that needs anything else (a
 * generated name, another resource's attribute) fails loudly rather than resolving to a guess.
 */
export function resolver(
  template: Template,
  stack: { accountId: string; region: string; parameters?: Record<string, string> },
): (value: unknown) => unknown {
  const parameters: Record<string, string> = {};
  for (const [name, p] of Object.entries(template.Parameters))
    if (p.Default !== undefined) parameters[name] = String(p.Default);
  Object.assign(parameters, stack.parameters ?? {});
  const named = (logicalId: string, property: string): string | undefined => {
    const value = template.Resources[logicalId]?.Properties?.[property];
    return value === undefined ? undefined : String(resolveValue(value, ctx));
  };
  const ctx: EvalContext = {
    accountId: stack.accountId,
    region: stack.region,
    stackName: 'stack',
    stackId: `arn:aws:cloudformation:${stack.region}:${stack.accountId}:stack/stack/1`,
    parameters,
    conditions: {},
    resourceRef(logicalId) {
      const type = template.Resources[logicalId]?.Type;
      if (type === 'AWS::IAM::Role') return named(logicalId, 'RoleName');
      if (type === 'AWS::IAM::ManagedPolicy') {
        const name = named(logicalId, 'ManagedPolicyName');
        return name ? `arn:aws:iam::${stack.accountId}:policy/${name}` : undefined;
      }
      return undefined;
    },
    resourceAttribute(logicalId, attribute) {
      if (template.Resources[logicalId]?.Type !== 'AWS::IAM::Role' || attribute !== 'Arn') return undefined;
      const name = named(logicalId, 'RoleName');
      return name ? `arn:aws:iam::${stack.accountId}:role/${name}` : undefined;
    },
    importValue: () => undefined,
    mappings: template.Mappings,
  };
  ctx.conditions = evaluateConditions(template, ctx);
  return (value) => {
    const resolved = resolveValue(value as TemplateValue, ctx);
    if (containsUnresolved(resolved))
      throw new Error(`not resolvable without a deployed stack: ${JSON.stringify(value)}`);
    return resolved;
  };
}

/** Inline and managed policies of a role in the template, resolved. */
export function rolePolicies(
  template: Template,
  roleId: string,
  resolve: (value: unknown) => unknown,
): PolicyDocument[] {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const props = role.Properties ?? {};
  const inline = ((props.Policies ?? []) as Array<{ PolicyDocument: unknown }>).map(
    (p) => resolve(p.PolicyDocument) as PolicyDocument,
  );
  const managed = ((props.ManagedPolicyArns ?? []) as unknown[]).map((arn) => {
    const id = (arn as { Ref?: string }).Ref;
    const policy = id ? template.Resources[id] : undefined;
    if (policy?.Type !== 'AWS::IAM::ManagedPolicy')
      throw new Error(`${roleId}: managed policy ${JSON.stringify(arn)} is not in the template`);
    return managedPolicy(template, id as string, resolve);
  });
  return [...inline, ...managed];
}

/** The document of a managed policy in the template, resolved. */
export function managedPolicy(
  template: Template,
  id: string,
  resolve: (value: unknown) => unknown,
): PolicyDocument {
  return resolve(template.Resources[id]?.Properties?.PolicyDocument) as PolicyDocument;
}

/** The trust policy of a role in the template, resolved. */
export function trustPolicy(
  template: Template,
  roleId: string,
  resolve: (value: unknown) => unknown,
): PolicyDocument {
  return resolve(template.Resources[roleId]?.Properties?.AssumeRolePolicyDocument) as PolicyDocument;
}

/** A session of the role, as the evaluator sees the principal. */
export function roleSession(roleArn: string): RequestPrincipal {
  const match = ROLE_ARN.exec(roleArn);
  if (!match) throw new Error(`principal must be a role ARN. Received: ${roleArn}`);
  const [, accountId, name] = match as unknown as [string, string, string];
  return {
    kind: 'role-session',
    arn: `arn:aws:sts::${accountId}:assumed-role/${name}/stackfleet-test`,
    accountId,
    roleArn,
  };
}

function decision(result: ReturnType<typeof evaluate>): Decision {
  if (result.effect === 'Allow') return 'Allow';
  return result.explicit ? 'ExplicitDeny' : 'ImplicitDeny';
}

/**
 * The decision of a role's identity policies (and permissions boundary, when given) for a request
 * in its own account. Documents are checked as IAM would store them first (a malformed one throws
 * with IAM's message).
 */
export function decide(
  policies: PolicyDocument[],
  request: Request,
  options: { boundary?: PolicyDocument } = {},
): Decision {
  const applicable: ApplicablePolicies = {
    identityPolicies: policies.map((p, i) => parsePolicy(p, `policy ${i}`, { kind: 'identity' })),
  };
  if (options.boundary)
    applicable.permissionsBoundary = parsePolicy(options.boundary, 'boundary', { kind: 'identity' });
  return decision(
    evaluate(
      {
        principal: roleSession(request.principal),
        action: request.action,
        resource: request.resource,
        context: request.context ?? {},
      },
      applicable,
    ),
  );
}

/**
 * Whether `principal` may assume the role of `roleArn` under this trust policy, the principal's own
 * policies allowing sts:AssumeRole (so the trust decides). `context` holds what STS puts in the
 * request (aws:PrincipalOrgID, sts:ExternalId when the caller passes one ...).
 */
export function decideAssumeRole(
  trust: PolicyDocument,
  roleArn: string,
  principal: RequestPrincipal,
  context: RequestContextValues = {},
): Decision {
  const roleAccount = ROLE_ARN.exec(roleArn)?.[1];
  const callerMayAssume: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
  };
  return decision(
    evaluate(
      {
        principal,
        action: 'sts:AssumeRole',
        resource: roleArn,
        ...(roleAccount ? { resourceAccountId: roleAccount } : {}),
        context,
      },
      {
        resourcePolicy: parsePolicy(trust, `role ${roleArn} trust policy`, { kind: 'resource' }),
        resourcePolicyMode: 'role-trust',
        identityPolicies: [callerMayAssume],
      },
    ),
  );
}
