/**
 * The scenario's IAM fields: whether policies are evaluated, which account is stackfleet's admin
 * account, and deliberate breakage of the provisioned policies (a bucket policy that leaves out an
 * account, a key policy without the target role, a function role missing an action, a closed
 * trust), applied once after the world is prepared, as if someone had edited the policy by hand.
 */
import type { Checker, Path } from './scenario-checker';
import type { ScenarioIam, ScenarioIamPatch } from './scenario-types';

const ACCOUNT_ID = /^\d{12}$/;
const ACTION = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;
const TARGETS = ['bucketPolicy', 'keyPolicy', 'functionRole', 'stateMachineRole', 'role'] as const;

function statementList(c: Checker, path: Path, value: unknown): ScenarioIamPatch['addStatements'] {
  return c.array(path, value).map((s, i) => {
    const statement = c.object([...path, i], s, [
      'Sid',
      'Effect',
      'Principal',
      'NotPrincipal',
      'Action',
      'NotAction',
      'Resource',
      'NotResource',
      'Condition',
    ]);
    c.oneOf([...path, i, 'Effect'], statement.Effect, ['Allow', 'Deny'] as const);
    if (statement.Action === undefined && statement.NotAction === undefined)
      c.fail([...path, i], 'needs Action or NotAction', s);
    return statement as never;
  });
}

function patchOf(c: Checker, path: Path, raw: unknown, accountIds: ReadonlySet<string>): ScenarioIamPatch {
  const p = c.object(path, raw, [...TARGETS, 'trust', 'addStatements', 'removeActions', 'removeStatements']);
  const named = TARGETS.filter((t) => p[t] !== undefined);
  if (named.length !== 1) c.fail(path, `must name exactly one of ${TARGETS.join(', ')}`, raw);
  const patch: ScenarioIamPatch = {};
  if (p.bucketPolicy !== undefined) patch.bucketPolicy = c.string([...path, 'bucketPolicy'], p.bucketPolicy);
  if (p.keyPolicy !== undefined)
    patch.keyPolicy = c.oneOf([...path, 'keyPolicy'], p.keyPolicy, ['artifacts'] as const);
  if (p.functionRole !== undefined) patch.functionRole = c.string([...path, 'functionRole'], p.functionRole);
  if (p.stateMachineRole !== undefined)
    patch.stateMachineRole = c.string([...path, 'stateMachineRole'], p.stateMachineRole);
  if (p.role !== undefined) {
    const role = c.object([...path, 'role'], p.role, ['account', 'name']);
    const account = c.string(
      [...path, 'role', 'account'],
      typeof role.account === 'number' ? String(role.account) : role.account,
      ACCOUNT_ID,
      '12 digits',
    );
    if (!accountIds.has(account))
      c.fail([...path, 'role', 'account'], 'must be an account of the organization', account);
    patch.role = {
      account,
      name: c.string([...path, 'role', 'name'], role.name, /^[\w+=,.@-]{1,64}$/, 'a role name'),
    };
  }
  if (p.trust !== undefined) {
    if (typeof p.trust !== 'boolean') c.fail([...path, 'trust'], 'must be true or false', p.trust);
    if (patch.role === undefined && patch.functionRole === undefined && patch.stateMachineRole === undefined)
      c.fail([...path, 'trust'], 'applies to roles only', p.trust);
    patch.trust = p.trust as boolean;
  }
  if (p.addStatements !== undefined)
    patch.addStatements = statementList(c, [...path, 'addStatements'], p.addStatements);
  if (p.removeActions !== undefined) {
    patch.removeActions = c
      .array([...path, 'removeActions'], p.removeActions)
      .map((a, i) => c.string([...path, 'removeActions', i], a, ACTION, 'an action like s3:GetObject'));
  }
  if (p.removeStatements !== undefined) {
    patch.removeStatements = c
      .array([...path, 'removeStatements'], p.removeStatements)
      .map((sid, i) => c.string([...path, 'removeStatements', i], sid, /^[A-Za-z0-9]+$/, 'a statement Sid'));
  }
  if (!patch.addStatements && !patch.removeActions && !patch.removeStatements)
    c.fail(path, 'must change something: addStatements, removeActions or removeStatements', raw);
  return patch;
}

/** Validates `iam` (the top-level mapping). */
export function validateIam(c: Checker, raw: unknown, accountIds: ReadonlySet<string>): ScenarioIam {
  const iam = c.object(['iam'], raw, ['enforce', 'patches']);
  const out: ScenarioIam = {};
  if (iam.enforce !== undefined) {
    if (typeof iam.enforce !== 'boolean') c.fail(['iam', 'enforce'], 'must be true or false', iam.enforce);
    out.enforce = iam.enforce as boolean;
  }
  if (iam.patches !== undefined) {
    out.patches = c
      .array(['iam', 'patches'], iam.patches)
      .map((p, i) => patchOf(c, ['iam', 'patches', i], p, accountIds));
  }
  return out;
}
