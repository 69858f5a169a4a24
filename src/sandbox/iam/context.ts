/**
 * The request context as conditions and policy variables read it: keys looked up
 * case-insensitively ("Key names are case-insensitive", IAM User Guide,
 * reference_policies_variables), every value a list of strings, and the keys AWS always derives
 * from the principal (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:username`, ...) filled in
 * when the caller did not give them (IAM User Guide, reference_policies_condition-keys).
 */
import type { AuthorizationRequest, RequestPrincipal } from './types';

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

function toEntry(value: string | string[] | boolean | number | undefined): ContextEntry | undefined {
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

/** Keys AWS puts in every request by this principal, used where the caller did not set them. */
function derivedKeys(principal: RequestPrincipal): Record<string, string | boolean> {
  const keys: Record<string, string | boolean> = {
    'aws:principalisawsservice': principal.kind === 'service',
  };
  const type = PRINCIPAL_TYPES[principal.kind];
  if (type) keys['aws:principaltype'] = type;
  if (principal.accountId) keys['aws:principalaccount'] = principal.accountId;
  if (principal.kind === 'service' && principal.service) keys['aws:principalservicename'] = principal.service;
  // aws:PrincipalArn is the role's ARN for a role session, not the session's (reference_policies_condition-keys).
  if (principal.kind === 'role-session' && principal.roleArn) keys['aws:principalarn'] = principal.roleArn;
  else if (principal.kind !== 'service' && principal.kind !== 'anonymous')
    keys['aws:principalarn'] = principal.arn;
  if (principal.kind === 'user') {
    const name = friendlyName(principal.arn);
    if (name) keys['aws:username'] = name;
  }
  return keys;
}

/** Builds the view of one request's context: the given keys, then the derived ones they did not set. */
export function contextView(request: AuthorizationRequest): RequestContextView {
  const entries = new Map<string, ContextEntry>();
  for (const [key, value] of Object.entries(request.context)) {
    const entry = toEntry(value);
    const lower = key.toLowerCase();
    if (entry) entries.set(lower, entry);
    else entries.delete(lower);
  }
  const given = new Set(Object.keys(request.context).map((k) => k.toLowerCase()));
  for (const [key, value] of Object.entries(derivedKeys(request.principal))) {
    if (!given.has(key)) entries.set(key, { values: [String(value)], multivalued: false });
  }
  return {
    values: (lowerKey) => entries.get(lowerKey)?.values,
    single: (lowerKey) => {
      const entry = entries.get(lowerKey);
      return entry && !entry.multivalued ? entry.values[0] : undefined;
    },
  };
}
