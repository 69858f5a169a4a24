/**
 * The scenario's deliberate breakage (`iam.patches`), applied once to a prepared world as if
 * someone had edited the policies by hand after deployment: the admin artifact bucket's policy,
 * the admin key's policy, the role of an admin function or state machine, or any role. Each patch
 * adds statements, takes actions out of statements, or removes statements by Sid.
 */
import type { ProvisionedAdmin } from '../../engine/provision';
import { findRole, findRoleByArn, type IamRole, iamSection, touch } from '../iam/state';
import type { ScenarioIamPatch } from '../scenario-types';
import { findKey } from '../services/kms-state';
import { findFunction } from '../services/lambda-state';
import { s3State } from '../services/s3-state';
import { engineFor } from '../services/stepfunctions';
import type { SandboxWorld } from '../types';
import { own } from '../world';

interface Document {
  Version?: string;
  Statement: Array<Record<string, unknown>>;
}

function parse(text: string | undefined): Document {
  if (!text) return { Version: '2012-10-17', Statement: [] };
  const doc = JSON.parse(text) as { Version?: string; Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return { ...doc, Statement: statements as Array<Record<string, unknown>> };
}

/** Applies one patch's edits to a policy document (JSON text in, JSON text out). */
export function patchDocument(text: string | undefined, patch: ScenarioIamPatch): string {
  const doc = parse(text);
  let statements = doc.Statement;
  if (patch.removeStatements) {
    const gone = new Set(patch.removeStatements);
    statements = statements.filter((s) => !(typeof s.Sid === 'string' && gone.has(s.Sid)));
  }
  if (patch.removeActions) {
    const gone = new Set(patch.removeActions.map((a) => a.toLowerCase()));
    statements = statements.flatMap((s) => {
      if (s.Action === undefined) return [s];
      const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[];
      const left = actions.filter((a) => !gone.has(a.toLowerCase()));
      if (left.length === actions.length) return [s];
      return left.length === 0 ? [] : [{ ...s, Action: left }];
    });
  }
  if (patch.addStatements) statements = [...statements, ...patch.addStatements];
  return JSON.stringify({ ...doc, Statement: statements });
}

function patchRole(world: SandboxWorld, role: IamRole, patch: ScenarioIamPatch): void {
  if (patch.trust) {
    role.trustPolicy = patchDocument(role.trustPolicy, patch);
  } else {
    const names = Object.keys(role.inlinePolicies);
    if (patch.removeActions || patch.removeStatements) {
      for (const name of names)
        role.inlinePolicies[name] = patchDocument(role.inlinePolicies[name], {
          ...patch,
          addStatements: undefined,
        });
    }
    if (patch.addStatements) {
      role.inlinePolicies.ScenarioPatch = patchDocument(role.inlinePolicies.ScenarioPatch, {
        addStatements: patch.addStatements,
      });
    }
  }
  touch(iamSection(world), role.accountId);
}

function roleOfPatch(world: SandboxWorld, admin: ProvisionedAdmin, patch: ScenarioIamPatch): IamRole {
  const section = iamSection(world);
  if (patch.role) {
    const role = findRole(section, patch.role.account, patch.role.name);
    if (!role)
      throw new Error(`iam.patches: role ${patch.role.name} does not exist in ${patch.role.account}`);
    return role;
  }
  if (patch.functionRole !== undefined) {
    const placeholder = Object.keys(admin.substitutions).find(
      (k) =>
        k.endsWith('FunctionArn') &&
        k.toLowerCase() === `${patch.functionRole?.replace(/-/g, '')}functionarn`,
    );
    const arn = placeholder ? admin.substitutions[placeholder] : undefined;
    const fn = arn ? findFunction(world, arn) : undefined;
    const role = fn ? findRoleByArn(section, fn.roleArn) : undefined;
    if (!role)
      throw new Error(`iam.patches: no admin function ${patch.functionRole} (ids in src/core/functions.ts)`);
    return role;
  }
  const id = patch.stateMachineRole ?? '';
  const arn =
    id === 'rollout'
      ? admin.rolloutStateMachineArn
      : admin.targetStateMachineArns[id.replace(/-target$/, '') as 'deploy'];
  const machine = arn ? engineFor(world).store.stateMachines[arn] : undefined;
  const role = machine ? findRoleByArn(section, machine.roleArn) : undefined;
  if (!role)
    throw new Error(
      `iam.patches: no admin state machine ${id} (rollout, deploy-target, preview-target, drift-target)`,
    );
  return role;
}

/** Applies the scenario's patches once per world; later calls do nothing. */
export function applyScenarioPatches(world: SandboxWorld, admin: ProvisionedAdmin): void {
  const patches = world.scenario.iam?.patches ?? [];
  const marker = world.section<{ applied: boolean }>('iam-patches', () => ({ applied: false }));
  if (marker.applied || patches.length === 0) return;
  for (const patch of patches) {
    if (patch.bucketPolicy !== undefined) {
      const name = patch.bucketPolicy === 'artifacts' ? admin.artifactBucket : patch.bucketPolicy;
      const bucket = own(s3State(world).buckets, name);
      if (!bucket) throw new Error(`iam.patches: bucket ${name} does not exist`);
      bucket.policy = patchDocument(bucket.policy, patch);
    } else if (patch.keyPolicy !== undefined) {
      const encryption = own(s3State(world).buckets, admin.artifactBucket)?.encryption;
      const keyRef = encryption?.kmsKeyId;
      const region = admin.rolloutStateMachineArn.split(':')[3] ?? 'us-east-1';
      const account = admin.rolloutStateMachineArn.split(':')[4] ?? '';
      const key = keyRef ? findKey(world, keyRef, account, region) : undefined;
      if (!key) throw new Error('iam.patches: the artifact bucket has no KMS key');
      key.policy = patchDocument(key.policy, patch);
    } else {
      patchRole(world, roleOfPatch(world, admin, patch), patch);
    }
  }
  marker.applied = true;
}
