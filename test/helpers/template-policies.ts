/**
 * Reads the IAM policies a CloudFormation template would create, resolved for one account and
 * region, and decides requests against them the way AWS's policy evaluation logic does for the
 * parts these templates use ("Policy evaluation logic" in the IAM User Guide): an explicit Deny
 * wins, otherwise an Allow is needed; Action and Resource match with `*`/`?` wildcards
 * (case-insensitive actions); every condition operator in a statement must hold, and a
 * condition on a key the request does not carry does not hold (except `...IfExists`). It covers
 * what templates/*.yaml use and refuses anything else, so a policy that needs more fails loudly.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Json = Record<string, unknown>;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Statement: Statement[];
}

/** One request: the action, the resource ARN and the condition keys the service sends. */
export interface Request {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

export type Decision = 'Allow' | 'ImplicitDeny' | 'ExplicitDeny';

const SHORT_TAGS = [
  'Sub',
  'Ref',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'Join',
  'Select',
  'Split',
  'And',
  'Or',
  'Condition',
];

/** The template as JSON, short tags turned into their long forms (`!Sub x` -> `{ "Fn::Sub": x }`). */
export function loadTemplate(
  file: string,
): Json & { Resources: Record<string, { Type: string; Properties: Json }> } {
  const customTags = SHORT_TAGS.flatMap((name) =>
    (['scalar', 'seq', 'map'] as const).map((collection) => ({
      tag: `!${name}`,
      collection: collection === 'scalar' ? undefined : collection,
      resolve: (value: unknown) => {
        const plain = (value as { toJSON?: () => unknown })?.toJSON?.() ?? value;
        if (name === 'GetAtt' && typeof plain === 'string') return { 'Fn::GetAtt': plain.split('.') };
        if (name === 'Ref' || name === 'Condition') return { [name]: plain };
        return { [`Fn::${name}`]: plain };
      },
    })),
  );
  return parse(readFileSync(file, 'utf8'), { customTags: customTags as never }) as never;
}

/** Resolves Ref, Fn::Sub and Fn::GetAtt for one stack; other intrinsics are refused. */
export function resolver(
  template: Json & { Resources: Record<string, { Type: string; Properties: Json }> },
  stack: { accountId: string; region: string; parameters?: Record<string, string> },
) {
  const declared = (template.Parameters ?? {}) as Record<string, { Default?: unknown }>;
  const params: Record<string, string> = {};
  for (const [name, p] of Object.entries(declared))
    if (p.Default !== undefined) params[name] = String(p.Default);
  Object.assign(params, stack.parameters ?? {});
  const pseudo: Record<string, string> = {
    'AWS::AccountId': stack.accountId,
    'AWS::Region': stack.region,
    'AWS::Partition': 'aws',
  };
  const ref = (name: string): string => {
    if (pseudo[name] !== undefined) return pseudo[name];
    if (params[name] !== undefined) return params[name];
    const resource = template.Resources[name];
    if (!resource) throw new Error(`Ref to unknown name ${name}`);
    if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      const policyName = resource.Properties.ManagedPolicyName
        ? resolve(resource.Properties.ManagedPolicyName)
        : `generated-${name}`;
      return `arn:aws:iam::${stack.accountId}:policy/${policyName}`;
    }
    if (resource.Type === 'AWS::IAM::Role') return String(resolve(resource.Properties.RoleName ?? name));
    throw new Error(`Ref to ${name} (${resource.Type}) is not handled here`);
  };
  const getAtt = (id: string, attribute: string): string => {
    const resource = template.Resources[id];
    if (resource?.Type === 'AWS::IAM::Role' && attribute === 'Arn')
      return `arn:aws:iam::${stack.accountId}:role/${ref(id)}`;
    throw new Error(`GetAtt ${id}.${attribute} is not handled here`);
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [fn, arg] = entries[0] ?? [];
    if (entries.length === 1 && fn === 'Ref') return ref(arg as string);
    if (entries.length === 1 && fn === 'Fn::GetAtt') {
      const [id, attribute] = arg as [string, string];
      return getAtt(id, attribute);
    }
    if (entries.length === 1 && fn === 'Fn::Sub') {
      return (arg as string).replace(/\$\{([\w:.]+)\}/g, (_m, name: string) => {
        const [id, attribute] = name.includes('::') ? [name] : name.split('.');
        return attribute ? getAtt(id as string, attribute) : ref(id as string);
      });
    }
    if (entries.length === 1 && fn?.startsWith('Fn::')) throw new Error(`${fn} is not handled here`);
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}

/** Inline and managed policies of a role in the template, resolved. */
export function rolePolicies(
  template: ReturnType<typeof loadTemplate>,
  roleId: string,
  resolve: (value: unknown) => unknown,
): PolicyDocument[] {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const inline = ((role.Properties.Policies ?? []) as Array<{ PolicyDocument: unknown }>).map(
    (p) => resolve(p.PolicyDocument) as PolicyDocument,
  );
  const managed = ((role.Properties.ManagedPolicyArns ?? []) as unknown[]).map((arn) => {
    const id = (arn as { Ref?: string }).Ref;
    const policy = id ? template.Resources[id] : undefined;
    if (policy?.Type !== 'AWS::IAM::ManagedPolicy')
      throw new Error(`${roleId}: managed policy ${JSON.stringify(arn)} is not in the template`);
    return resolve(policy.Properties.PolicyDocument) as PolicyDocument;
  });
  return [...inline, ...managed];
}

/** The document of a managed policy in the template, resolved. */
export function managedPolicy(
  template: ReturnType<typeof loadTemplate>,
  id: string,
  resolve: (value: unknown) => unknown,
): PolicyDocument {
  return resolve(template.Resources[id]?.Properties.PolicyDocument) as PolicyDocument;
}

function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'i' : '').test(value);
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

function conditionHolds(
  operator: string,
  key: string,
  expected: string | string[],
  request: Request,
): boolean {
  const ifExists = operator.endsWith('IfExists');
  const [qualifier, base] = operator.includes(':')
    ? operator.replace(/IfExists$/, '').split(':')
    : [undefined, operator.replace(/IfExists$/, '')];
  const contextKey = Object.keys(request.context ?? {}).find((k) => k.toLowerCase() === key.toLowerCase());
  const actual = contextKey === undefined ? undefined : request.context?.[contextKey];
  if (actual === undefined) return ifExists || qualifier === 'ForAllValues';
  const match = (value: string, pattern: string): boolean => {
    switch (base) {
      case 'StringEquals':
      case 'ArnEquals':
        return value === pattern;
      case 'StringLike':
      case 'ArnLike':
        return wildcard(pattern, value);
      default:
        throw new Error(`condition operator ${operator} is not handled here`);
    }
  };
  const values = list(actual);
  const any = (value: string) => list(expected).some((p) => match(value, p));
  if (qualifier === 'ForAllValues') return values.every(any);
  if (qualifier === 'ForAnyValue') return values.some(any);
  if (values.length !== 1) throw new Error(`${key} has several values: use ForAnyValue/ForAllValues`);
  return any(values[0] as string);
}

function applies(statement: Statement, request: Request): boolean {
  if (!list(statement.Action).some((a) => wildcard(a, request.action, true))) return false;
  if (!list(statement.Resource).some((r) => wildcard(r, request.resource))) return false;
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, expected, request)) return false;
    }
  }
  return true;
}

/** The decision of identity policies alone (same account, no resource policy, SCP or session policy). */
export function decide(policies: PolicyDocument[], request: Request): Decision {
  const statements = policies.flatMap((p) => p.Statement);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s, request))) return 'ExplicitDeny';
  return statements.some((s) => s.Effect === 'Allow' && applies(s, request)) ? 'Allow' : 'ImplicitDeny';
}
