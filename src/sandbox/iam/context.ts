/**
 * The request context as conditions and policy variables read it: keys looked up
 * case-insensitively ("Key names are case-insensitive", IAM User Guide,
 * reference_policies_variables), every value a list of strings, and the keys AWS always derives
 * from the principal (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:username`, ...) filled in
 * when the caller did not give them (IAM User Guide, reference_policies_condition-keys).
 */
import type { AuthorizationRequest, RequestContextValues, RequestPrincipal } from './types';

/** One key's values as strings, and whether the key is multivalued (an array in the request). */
export interface ContextEntry {
  readonly values: readonly string[];
  readonly multivalued: boolean;
}

/** Read access to a request context, built once per evaluation. */
export interface RequestContextView {
  /** The key's values (lower-case key name), or undefined when the key is absent or its set is empty. */
  values(lowerKey: string): readonly string[] | undefined;
  /** The key's value as a policy variable sees it: single-valued keys only (a multivalued key has no variable value). */
  single(lowerKey: string): string | undefined;
}

function toEntry(value: RequestContextValues[string]): ContextEntry | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    return value.length === 0 ? undefined : { values: value.map(String), multivalued: true };
  }
  return { values: [String(value)], multivalued: false };
}

/** What `aws:PrincipalType` holds for each kind of principal (reference_policies_variables, principal table). */
const PRINCIPAL_TYPES: Record<RequestPrincipal['kind'], string | undefined> = {
  root: 'Account',
  user: 'User',
  'role-session': 'AssumedRole',
  'federated-user': 'FederatedUser',
  service: undefined,
  anonymous: 'Anonymous',
};

/** The friendly name at the end of an ARN's resource part (`user/path/Name` -> `Name`). */
function friendlyName(arn: string): string | undefined {
  const resource = arn.split(':').slice(5).join(':');
  const slash = resource.lastIndexOf('/');
  return slash < 0 ? undefined : resource.slice(slash + 1);
}

/** A key AWS puts in every request by this principal, for a lower-case key name; undefined if none. */
function derivedKey(lowerKey: string, principal: RequestPrincipal): string | undefined {
  switch (lowerKey) {
    case 'aws:principalisawsservice':
      return String(principal.kind === 'service');
    case 'aws:principaltype':
      return PRINCIPAL_TYPES[principal.kind];
    case 'aws:principalaccount':
      return principal.accountId;
    case 'aws:principalservicename':
      return principal.kind === 'service' ? principal.service : undefined;
    case 'aws:principalarn':
      // A role session's aws:PrincipalArn is its role's ARN, not the session's (reference_policies_condition-keys).
      if (principal.kind === 'role-session') return principal.roleArn;
      return principal.kind === 'service' || principal.kind === 'anonymous' ? undefined : principal.arn;
    case 'aws:username':
      return principal.kind === 'user' ? friendlyName(principal.arn) : undefined;
    default:
      return undefined;
  }
}

/**
 * A request's context, read lazily: nothing is copied until a condition or variable asks for a
 * key, and each key is converted once. Most requests meet policies without conditions and never
 * pay for the view at all.
 */
class LazyContextView implements RequestContextView {
  private index: Map<string, unknown> | undefined;
  private entries: Map<string, ContextEntry | null> | undefined;

  constructor(private readonly request: AuthorizationRequest) {}

  private entry(lowerKey: string): ContextEntry | null {
    this.entries ??= new Map();
    let entry = this.entries.get(lowerKey);
    if (entry !== undefined) return entry;
    if (!this.index) {
      this.index = new Map();
      const context = this.request.context;
      for (const key in context) this.index.set(key.toLowerCase(), context[key]);
    }
    if (this.index.has(lowerKey)) {
      entry = toEntry(this.index.get(lowerKey) as RequestContextValues[string]) ?? null;
    } else {
      const derived = derivedKey(lowerKey, this.request.principal);
      entry = derived === undefined ? null : { values: [derived], multivalued: false };
    }
    this.entries.set(lowerKey, entry);
    return entry;
  }

  values(lowerKey: string): readonly string[] | undefined {
    return this.entry(lowerKey)?.values;
  }

  single(lowerKey: string): string | undefined {
    const entry = this.entry(lowerKey);
    return entry && !entry.multivalued ? entry.values[0] : undefined;
  }
}

/**
 * The view of one request's context: the keys it gives (a key given as undefined is absent), then
 * the keys derived from the principal that it did not give.
 */
export function contextView(request: AuthorizationRequest): RequestContextView {
  return new LazyContextView(request);
}
