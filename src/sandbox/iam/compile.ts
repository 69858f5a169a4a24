/**
 * Policies compiled for evaluation, once per document object (a WeakMap: the document is the
 * key, so a policy that is replaced is collected with its compiled form). Action and Resource
 * patterns become matchers, conditions a function, principals sets; evaluation then does no
 * parsing and no regular-expression building on the request path. Compilation never throws: a
 * document that was not checked by parsePolicy is read leniently (an element of the wrong type
 * matches nothing), since AWS never stores such a document in the first place.
 */

import { type ConditionMatcher, compileCondition } from './conditions';
import type { RequestContextView } from './context';
import type { PolicyDocument, PolicyStatement, RequestPrincipal } from './types';
import { parseTemplate, resolveTemplate, type Template } from './variables';
import { compileGlob, hasWildcard, literalText, type Matcher, parseGlob } from './wildcard';

/**
 * How a resource policy's Principal names the requester, which decides what else must allow
 * (IAM User Guide, reference_policies_evaluation-logic, "Resource-based policies"):
 * - `direct`: the user, role session, federated-user session, service or identity provider itself;
 * - `role`: the role whose session is asking (limited by boundary and session policy);
 * - `wildcard`: `"*"`, `{"AWS": "*"}` or a NotPrincipal that leaves the requester out;
 * - `account`: the requester's account, a delegation to that account's IAM policies
 *   (reference_policies_elements_principal: "you delegate authority to the account").
 */
export type PrincipalMatch = 'direct' | 'role' | 'wildcard' | 'account';

export interface CompiledStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** Whether the statement covers the action (lower case). */
  readonly action: (lowerAction: string) => boolean;
  /** Whether the statement covers the resource; policy variables resolved from the context. */
  readonly resource: (resource: string, context: RequestContextView) => boolean;
  /** How Principal / NotPrincipal names the requester (undefined: not at all); absent when the statement has neither. */
  readonly principal?: (principal: RequestPrincipal) => PrincipalMatch | undefined;
  readonly condition?: ConditionMatcher;
}

export interface CompiledPolicy {
  readonly statements: readonly CompiledStatement[];
}

function asList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return undefined;
}

const yes = () => true;
const no = () => false;

function compileActions(patterns: string[] | undefined, negated: boolean): (a: string) => boolean {
  if (!patterns) return no;
  const exact = new Set<string>();
  const globs: Matcher[] = [];
  for (const p of patterns) {
    const tokens = parseGlob(p);
    if (hasWildcard(tokens)) globs.push(compileGlob(tokens, 'action'));
    else exact.add(p.toLowerCase());
  }
  const any = (action: string) => exact.has(action) || globs.some((m) => m(action));
  return negated ? (action) => !any(action) : any;
}

/** A context with no keys, for resolving variable-free templates at compile time. */
const NO_CONTEXT: RequestContextView = { values: () => undefined, single: () => undefined };

function compileResources(
  patterns: string[] | undefined,
  negated: boolean,
  variables: boolean,
): (resource: string, context: RequestContextView) => boolean {
  if (!patterns) return no;
  const exact = new Set<string>();
  const fixed: Matcher[] = [];
  const dynamic: Template[] = [];
  for (const p of patterns) {
    const template = parseTemplate(p, { variables, wildcards: true });
    if (template.hasVariables) {
      dynamic.push(template);
      continue;
    }
    const tokens = resolveTemplate(template, NO_CONTEXT)!;
    if (hasWildcard(tokens)) fixed.push(compileGlob(tokens, 'resource'));
    else exact.add(literalText(tokens));
  }
  const any = (resource: string, context: RequestContextView) => {
    if (exact.has(resource)) return true;
    for (const m of fixed) if (m(resource)) return true;
    for (const t of dynamic) {
      const tokens = resolveTemplate(t, context);
      if (tokens && compileGlob(tokens, 'resource')(resource)) return true;
    }
    return false;
  };
  return negated ? (resource, context) => !any(resource, context) : any;
}

const ROOT_ARN = /^arn:[^:]+:iam::(\d{12}):root$/;

/** A Principal element as sets: which ARNs, accounts, services and identity providers it names. */
interface PrincipalSets {
  readonly wildcard: boolean;
  readonly accounts: ReadonlySet<string>;
  readonly arns: ReadonlySet<string>;
  readonly services: ReadonlySet<string>;
  readonly federated: ReadonlySet<string>;
}

function principalSets(block: unknown): PrincipalSets {
  const sets = {
    wildcard: false,
    accounts: new Set<string>(),
    arns: new Set<string>(),
    services: new Set<string>(),
    federated: new Set<string>(),
  };
  if (block === '*') return { ...sets, wildcard: true };
  if (!block || typeof block !== 'object') return sets;
  const entries = block as Record<string, unknown>;
  for (const value of asList(entries.AWS) ?? []) {
    const root = ROOT_ARN.exec(value);
    if (value === '*') sets.wildcard = true;
    else if (/^\d{12}$/.test(value)) sets.accounts.add(value);
    else if (root) sets.accounts.add(root[1]!);
    else sets.arns.add(value);
  }
  for (const value of asList(entries.Service) ?? []) sets.services.add(value.toLowerCase());
  for (const value of asList(entries.Federated) ?? []) sets.federated.add(value);
  // CanonicalUser names S3 canonical IDs, which sandbox principals do not carry: it matches no one.
  return sets;
}

/** The strongest way a Principal element names the requester. */
function matchPrincipal(sets: PrincipalSets, p: RequestPrincipal): PrincipalMatch | undefined {
  if (p.kind === 'service') {
    if (p.service && sets.services.has(p.service.toLowerCase())) return 'direct';
  } else if (p.kind !== 'anonymous' && p.kind !== 'root' && sets.arns.has(p.arn)) {
    return 'direct';
  }
  if (p.federatedProvider && sets.federated.has(p.federatedProvider)) return 'direct';
  if (p.kind === 'role-session' && p.roleArn && sets.arns.has(p.roleArn)) return 'role';
  if (sets.wildcard) return 'wildcard';
  if (p.accountId && sets.accounts.has(p.accountId)) return 'account';
  return undefined;
}

/**
 * The identities NotPrincipal has to list to leave a requester out: AWS "might validate the
 * account first, then the role, and then the assumed-role user" (reference_policies_elements_notprincipal),
 * so a Deny spares a role session only when its session, its role and its account are all listed.
 */
function listedIdentities(sets: PrincipalSets, p: RequestPrincipal): boolean[] {
  if (sets.wildcard) return [true];
  const listed: boolean[] = [];
  if (p.kind === 'service') listed.push(!!p.service && sets.services.has(p.service.toLowerCase()));
  else if (p.kind === 'anonymous') listed.push(false);
  else if (p.kind !== 'root') listed.push(sets.arns.has(p.arn));
  if (p.kind === 'role-session') listed.push(!!p.roleArn && sets.arns.has(p.roleArn));
  if (p.accountId) listed.push(sets.accounts.has(p.accountId));
  if (p.federatedProvider) listed.push(sets.federated.has(p.federatedProvider));
  return listed;
}

function compilePrincipal(statement: PolicyStatement): CompiledStatement['principal'] {
  if (statement.Principal !== undefined) {
    const sets = principalSets(statement.Principal);
    return (p) => matchPrincipal(sets, p);
  }
  if (statement.NotPrincipal !== undefined) {
    const sets = principalSets(statement.NotPrincipal);
    if (statement.Effect === 'Deny') {
      // A Deny applies unless every identity of the requester is listed.
      return (p) => (listedIdentities(sets, p).every(Boolean) ? undefined : 'wildcard');
    }
    // An Allow with NotPrincipal grants only to requesters none of whose identities is listed.
    return (p) => (listedIdentities(sets, p).some(Boolean) ? undefined : 'wildcard');
  }
  return undefined;
}

function compileStatement(raw: unknown, variables: boolean): CompiledStatement | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const statement = raw as PolicyStatement;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return undefined;
  const action =
    statement.Action !== undefined
      ? compileActions(asList(statement.Action), false)
      : compileActions(asList(statement.NotAction), true);
  const resource =
    statement.Resource !== undefined
      ? compileResources(asList(statement.Resource), false, variables)
      : statement.NotResource !== undefined
        ? compileResources(asList(statement.NotResource), true, variables)
        : yes; // trust and key policies may leave Resource out: the policy's own resource
  const principal = compilePrincipal(statement);
  const condition = compileCondition(statement.Condition, { variables });
  return {
    effect: statement.Effect,
    action,
    resource,
    ...(typeof statement.Sid === 'string' && statement.Sid ? { sid: statement.Sid } : {}),
    ...(principal ? { principal } : {}),
    ...(condition ? { condition } : {}),
  };
}

const cache = new WeakMap<object, CompiledPolicy>();

/** The compiled form of a document, built on first use and kept as long as the document lives. */
export function compilePolicy(document: PolicyDocument): CompiledPolicy {
  let policy = cache.get(document);
  if (!policy) {
    const variables = document.Version === '2012-10-17';
    const raw = document.Statement;
    const list: unknown[] = Array.isArray(raw) ? raw : raw ? [raw] : [];
    const statements = list
      .map((s) => compileStatement(s, variables))
      .filter((s): s is CompiledStatement => !!s);
    policy = { statements };
    cache.set(document, policy);
  }
  return policy;
}
