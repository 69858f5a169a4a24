/**
 * The organisation-level scenario fields that Organizations enforces: trusted service access,
 * delegated administrators and service control policies. Validated with AWS's own rules so a
 * scenario cannot describe an organisation AWS would not allow (a management account registered
 * as delegated administrator, an SCP over 5,120 characters, a target without any SCP).
 */
import { createHash } from 'node:crypto';
import type { Checker, Path } from './scenario-checker';
import type { Scenario, ScenarioDelegatedAdministrator, ScenarioPolicy } from './scenario-types';
import { DELEGATABLE_SERVICE_PRINCIPALS } from './services/organizations-common';
import { FULL_AWS_ACCESS_ID } from './services/organizations-policies';

/** AWS Organizations quotas ("Quotas and service limits"): an SCP document holds at most 5,120 characters. */
export const SCP_MAX_CHARACTERS = 5120;
/** ... and a root, OU or account has at most 5 SCPs attached. */
export const SCP_MAX_PER_TARGET = 5;

const ACCOUNT_ID = /^\d{12}$/;
const POLICY_ID = /^p-[0-9a-zA-Z_]{8,128}$/;
const ACTION = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;

type OrganizationExtras = Pick<
  Scenario['organization'],
  'enabledServicePrincipals' | 'delegatedAdministrators' | 'policies' | 'fullAwsAccessTargets'
>;

interface OrganizationShape {
  rootId: string;
  managementAccountId: string;
  ouIds: ReadonlySet<string>;
  accounts: ReadonlyMap<string, { status?: string }>;
}

/** The organisation fields besides the tree; `org` is the raw `organization` mapping. */
export function validateOrganizationExtras(
  c: Checker,
  org: Record<string, unknown>,
  shape: OrganizationShape,
): OrganizationExtras {
  const out: OrganizationExtras = {};
  const principal = (path: Path, value: unknown): string => {
    const name = c.string(path, value);
    if (!DELEGATABLE_SERVICE_PRINCIPALS.includes(name))
      c.fail(
        path,
        `must be a service principal that supports delegated administrators (${DELEGATABLE_SERVICE_PRINCIPALS.join(', ')})`,
        name,
      );
    return name;
  };
  const enabled = new Set<string>();
  if (org.enabledServicePrincipals !== undefined) {
    const path: Path = ['organization', 'enabledServicePrincipals'];
    c.array(path, org.enabledServicePrincipals).forEach((p, i) => {
      enabled.add(principal([...path, i], p));
    });
  }
  if (org.delegatedAdministrators !== undefined) {
    const path: Path = ['organization', 'delegatedAdministrators'];
    const seen = new Set<string>();
    out.delegatedAdministrators = c
      .array(path, org.delegatedAdministrators)
      .map((d, i): ScenarioDelegatedAdministrator => {
        const p: Path = [...path, i];
        const raw = c.object(p, d, ['accountId', 'servicePrincipal']);
        const accountId = c.string(
          [...p, 'accountId'],
          typeof raw.accountId === 'number' ? String(raw.accountId) : raw.accountId,
          ACCOUNT_ID,
          '12 digits',
        );
        const account = shape.accounts.get(accountId);
        if (!account) c.fail([...p, 'accountId'], 'must be one of the organization accounts', accountId);
        if (accountId === shape.managementAccountId)
          c.fail(
            [...p, 'accountId'],
            'must be a member account: AWS does not register the management account as a delegated administrator',
            accountId,
          );
        if (account?.status === 'SUSPENDED')
          c.fail(
            [...p, 'accountId'],
            'must be an active account: AWS does not register a suspended account',
            accountId,
          );
        const servicePrincipal = principal([...p, 'servicePrincipal'], raw.servicePrincipal);
        const key = `${accountId} ${servicePrincipal}`;
        if (seen.has(key)) c.fail(p, 'is listed twice', d);
        seen.add(key);
        enabled.add(servicePrincipal);
        return { accountId, servicePrincipal };
      });
  }
  if (enabled.size > 0) out.enabledServicePrincipals = [...enabled].sort();
  if (org.policies !== undefined) Object.assign(out, validatePolicies(c, org.policies, shape));
  return out;
}

function validatePolicies(
  c: Checker,
  raw: unknown,
  shape: OrganizationShape,
): Pick<OrganizationExtras, 'policies' | 'fullAwsAccessTargets'> {
  const path: Path = ['organization', 'policies'];
  const isTarget = (id: string) => id === shape.rootId || shape.ouIds.has(id) || shape.accounts.has(id);
  const targetsOf = (p: Path, value: unknown): string[] => {
    const seen = new Set<string>();
    return c.array(p, value ?? []).map((t, j) => {
      const id = c.string([...p, j], typeof t === 'number' ? String(t) : t);
      if (!isTarget(id))
        c.fail(
          [...p, j],
          `must be the root (${shape.rootId}), an OU id or an account id of the organization`,
          id,
        );
      if (seen.has(id)) c.fail([...p, j], 'is listed twice', id);
      seen.add(id);
      return id;
    });
  };
  const policies: ScenarioPolicy[] = [];
  let fullAwsAccessTargets: string[] | undefined;
  let fullAwsAccessPath: Path | undefined;
  const ids = new Set<string>();
  const names = new Set<string>();
  c.array(path, raw).forEach((entry, i) => {
    const p: Path = [...path, i];
    const probe = c.object(p, entry, ['id', 'name', 'description', 'type', 'content', 'targets']);
    if (probe.id === FULL_AWS_ACCESS_ID || probe.name === 'FullAWSAccess') {
      const managed = c.object(p, entry, ['id', 'name', 'targets']);
      if (fullAwsAccessPath) c.fail(p, 'lists FullAWSAccess a second time', entry);
      fullAwsAccessPath = [...p, 'targets'];
      fullAwsAccessTargets = targetsOf(fullAwsAccessPath, managed.targets);
      return;
    }
    const name = c.string([...p, 'name'], probe.name, /^[\s\S]{1,128}$/, 'a policy name of 1-128 characters');
    if (names.has(name))
      c.fail([...p, 'name'], 'is the name of another policy (AWS refuses a duplicate name)', name);
    names.add(name);
    const id =
      probe.id === undefined
        ? `p-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`
        : c.string([...p, 'id'], probe.id, POLICY_ID, 'a policy id: p- and 8-128 of [0-9A-Za-z_]');
    if (ids.has(id)) c.fail([...p, 'id'], 'is the id of another policy', id);
    ids.add(id);
    const type =
      probe.type === undefined
        ? 'SERVICE_CONTROL_POLICY'
        : c.oneOf([...p, 'type'], probe.type, ['SERVICE_CONTROL_POLICY'] as const);
    const policy: ScenarioPolicy = {
      id,
      name,
      type,
      content: scpContent(c, [...p, 'content'], probe.content),
      targets: targetsOf([...p, 'targets'], probe.targets),
    };
    if (probe.description !== undefined)
      policy.description = c.string(
        [...p, 'description'],
        probe.description,
        /^[\s\S]{0,512}$/,
        'a description of at most 512 characters',
      );
    policies.push(policy);
  });
  // Every root, OU and account keeps at least one SCP, and none holds more than five.
  const counts = new Map<string, number>();
  const everyTarget = [shape.rootId, ...shape.ouIds, ...shape.accounts.keys()];
  for (const t of fullAwsAccessTargets ?? everyTarget) counts.set(t, 1);
  policies.forEach((policy, i) => {
    policy.targets.forEach((t, j) => {
      const n = (counts.get(t) ?? 0) + 1;
      if (n > SCP_MAX_PER_TARGET)
        c.fail(
          [...path, i, 'targets', j],
          `would be SCP number ${n} on ${t}; AWS allows at most ${SCP_MAX_PER_TARGET} per root, OU or account`,
          t,
        );
      counts.set(t, n);
    });
  });
  const bare = everyTarget.filter((t) => !counts.has(t));
  if (bare.length > 0 && fullAwsAccessPath) {
    c.fail(
      fullAwsAccessPath,
      `leaves ${bare.join(', ')} without any SCP; AWS keeps at least one SCP attached to the root, every OU and every account`,
      fullAwsAccessTargets,
    );
  }
  const out: Pick<OrganizationExtras, 'policies' | 'fullAwsAccessTargets'> = { policies };
  if (fullAwsAccessTargets) out.fullAwsAccessTargets = fullAwsAccessTargets;
  return out;
}

function strings(c: Checker, path: Path, value: unknown, pattern: RegExp, rule: string): void {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) c.fail(path, `must be ${rule} or a non-empty list of them`, value);
  list.forEach((v, k) => {
    c.string(Array.isArray(value) ? [...path, k] : path, v, pattern, rule);
  });
}

/** An SCP document (an object, or its JSON text) as the JSON text AWS stores, checked for AWS's SCP syntax. */
function scpContent(c: Checker, path: Path, value: unknown): string {
  let text: string;
  let doc: unknown;
  if (typeof value === 'string') {
    text = value;
    try {
      doc = JSON.parse(value);
    } catch (error) {
      c.fail(path, `must be a policy document (JSON) : ${(error as Error).message}`, value);
    }
  } else {
    doc = value;
    text = JSON.stringify(value ?? null);
  }
  const document = c.object(path, doc, ['Version', 'Id', 'Statement']);
  if (document.Version !== undefined)
    c.oneOf([...path, 'Version'], document.Version, ['2012-10-17', '2008-10-17'] as const);
  if (document.Statement === undefined)
    c.fail([...path, 'Statement'], 'is required in a policy document', undefined);
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (statements.length === 0)
    c.fail([...path, 'Statement'], 'must hold at least one statement', document.Statement);
  statements.forEach((s, k) => {
    const sp: Path = Array.isArray(document.Statement) ? [...path, 'Statement', k] : [...path, 'Statement'];
    // SCPs take no Principal or NotPrincipal (AWS Organizations User Guide, "SCP syntax").
    const statement = c.object(sp, s, [
      'Sid',
      'Effect',
      'Action',
      'NotAction',
      'Resource',
      'NotResource',
      'Condition',
    ]);
    c.oneOf([...sp, 'Effect'], statement.Effect, ['Allow', 'Deny'] as const);
    if ((statement.Action === undefined) === (statement.NotAction === undefined))
      c.fail(sp, 'must have exactly one of Action and NotAction', s);
    const actionKey = statement.Action === undefined ? 'NotAction' : 'Action';
    strings(c, [...sp, actionKey], statement[actionKey], ACTION, 'an action like "s3:GetObject" or "*"');
    for (const key of ['Resource', 'NotResource'] as const)
      if (statement[key] !== undefined)
        strings(c, [...sp, key], statement[key], /^(\*|arn:[\s\S]+)$/, 'a resource ARN or "*"');
    if (statement.Condition !== undefined) {
      const condition = c.object(
        [...sp, 'Condition'],
        statement.Condition,
        Object.keys(statement.Condition ?? {}),
      );
      for (const [operator, block] of Object.entries(condition))
        c.object([...sp, 'Condition', operator], block, Object.keys((block as object | null) ?? {}));
    }
  });
  if (text.length > SCP_MAX_CHARACTERS) {
    c.fail(
      path,
      `must be at most ${SCP_MAX_CHARACTERS} characters (the SCP size quota); it has ${text.length}`,
      `${text.slice(0, 60)}...`,
    );
  }
  return text;
}
