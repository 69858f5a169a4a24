/**
 * Change sets in the sandbox: a real diff of the deployed and the proposed template
 * (Add/Modify/Remove, replacement True/False/Conditional from the per-type rules, the changed
 * properties), CREATE change sets that leave a REVIEW_IN_PROGRESS stack, and drift-aware
 * `DeploymentMode: REVERT_DRIFT` change sets that bring drifted resources back to the template.
 */
import { AwsError } from '../types';
import {
  actorFor,
  asArray,
  asBool,
  checkStackName,
  findStack,
  type OpEnv,
  readTemplateSource,
  requireStack,
  templateOf,
  validationError,
} from './common';
import { currentDrift, renderDriftValue } from './drift';
import { partitionOf } from './intrinsics';
import { type GivenParameter, resolveParameters, ssmParameter } from './parameters';
import { planStack, type ResourceDiff, sameValue } from './plan';
import { stableUuid } from './resource-types';
import { checkRules } from './rules';
import { scheduleStackStatusChanges } from './stack-events-schedule';
import {
  checkCapabilities,
  newStackRecord,
  requireUpdatable,
  startCreate,
  startImport,
  startUpdate,
  typedParameters,
} from './stack-ops';
import {
  type ChangeSetRecord,
  finalResources,
  nextSeq,
  packOperation,
  type StackConfig,
  type StackRecord,
  type StackTag,
  settleStack,
  stackStatusAt,
} from './state';
import type { ParsedTemplate } from './template';
import { durationOr } from './waves';

const CHANGE_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const PAGE_SIZE = 100;
export const NO_CHANGES_REASON =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

function changeSetNotFound(name: string): AwsError {
  return new AwsError('ChangeSetNotFound', `ChangeSet [${name}] does not exist`, 404);
}

function checkChangeSetName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128 || !CHANGE_SET_NAME.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${String(name)}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
    );
  }
  return name;
}

/** The change set a name (with its stack) or an ARN means. */
function findChangeSet(env: OpEnv, params: Record<string, unknown>): ChangeSetRecord {
  const name = params.ChangeSetName as string | undefined;
  if (!name) {
    throw validationError(
      "1 validation error detected: Value null at 'changeSetName' failed to satisfy constraint: Member must not be null",
    );
  }
  if (name.startsWith('arn:')) {
    const cs = env.target.changeSets[name];
    if (!cs) throw changeSetNotFound(name);
    return cs;
  }
  const stackName = params.StackName as string | undefined;
  if (!stackName) {
    throw validationError('StackName must be specified if ChangeSetName is not specified as an ARN.');
  }
  const stack = findStack(env, stackName);
  if (!stack) throw validationError(`Stack [${stackName}] does not exist`);
  const cs = Object.values(env.target.changeSets).find((c) => c.stackId === stack.stackId && c.name === name);
  if (!cs) throw changeSetNotFound(name);
  return cs;
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/** A resource diff as AWS's `Change` (details only for Modify). */
function toChange(
  diff: ResourceDiff,
  changeSetId: string,
  drift?: ReturnType<typeof currentDrift>[string],
): unknown {
  const change: Record<string, unknown> = {
    Action: diff.action,
    LogicalResourceId: diff.logicalId,
    ResourceType: diff.type,
    ChangeSetId: changeSetId,
  };
  const physical = diff.oldPhysicalId;
  if (physical && diff.action !== 'Add') change.PhysicalResourceId = physical;
  if (diff.action === 'Modify') {
    change.Replacement = diff.replacement;
    const details = diff.changes.map((c) => {
      const isTags = c.name === 'Tags';
      const target: Record<string, unknown> = isTags
        ? { Attribute: 'Tags', RequiresRecreation: 'Never' }
        : { Attribute: 'Properties', Name: c.name, RequiresRecreation: c.recreation };
      target.Path = `/Properties/${c.name}`;
      if (c.before !== undefined) target.BeforeValue = stringify(c.before);
      if (c.after !== undefined) target.AfterValue = stringify(c.after);
      target.AttributeChangeType =
        c.before === undefined ? 'Add' : c.after === undefined ? 'Remove' : 'Modify';
      return {
        Target: target,
        Evaluation: c.evaluation,
        ChangeSource: c.changeSource,
        ...(c.causingEntity ? { CausingEntity: c.causingEntity } : {}),
      };
    });
    if (drift) {
      change.ResourceDriftStatus = drift.deleted ? 'DELETED' : 'MODIFIED';
      details.push({
        Target: {
          Attribute: 'Properties',
          Name: drift.property,
          RequiresRecreation: drift.deleted ? 'Always' : 'Never',
          Path: `/Properties/${drift.property}`,
          BeforeValue: renderDriftValue(drift.actual),
          AfterValue: renderDriftValue(drift.expected),
          BeforeValueFrom: 'ACTUAL_STATE',
          AfterValueFrom: 'TEMPLATE',
          AttributeChangeType: 'SyncWithActual',
          Drift: {
            PreviousValue: renderDriftValue(drift.expected),
            ActualValue: renderDriftValue(drift.actual),
          },
        } as Record<string, unknown>,
        Evaluation: 'Static',
        ChangeSource: 'DirectModification',
      });
      if (drift.deleted) change.Replacement = 'True';
    }
    change.Scope = [...new Set(details.map((d) => (d.Target as { Attribute: string }).Attribute))];
    change.Details = details;
  } else {
    change.Scope = [];
    change.Details = [];
  }
  return { Type: 'Resource', HookInvocationCount: 0, ResourceChange: change };
}

/** Checks `ResourcesToImport` against the template as AWS does (resource present, same type, DeletionPolicy set). */
function checkImports(
  template: ParsedTemplate,
  value: unknown,
): Array<{ logicalId: string; type: string; physicalId: string }> {
  const list = asArray(value as Array<Record<string, unknown>> | undefined);
  if (list.length === 0)
    throw validationError('ResourcesToImport must be specified for a change set of type IMPORT.');
  return list.map((r) => {
    const logicalId = String(r.LogicalResourceId ?? '');
    const type = String(r.ResourceType ?? '');
    const resource = template.Resources[logicalId];
    if (!resource) throw validationError(`Resource ${logicalId} to import does not exist in the template.`);
    if (resource.Type !== type) {
      throw validationError(
        `Resource ${logicalId} to import has type ${type}, the template says ${resource.Type}.`,
      );
    }
    if (resource.DeletionPolicy === undefined) {
      throw validationError(
        `The following resources to import [${logicalId}] must have DeletionPolicy attribute specified in the template.`,
      );
    }
    const identifier = r.ResourceIdentifier as
      | Record<string, unknown>
      | Array<{ key?: string; value?: string }>
      | undefined;
    const values = Array.isArray(identifier)
      ? identifier.map((e) => String(e.value ?? ''))
      : Object.values(identifier ?? {}).map(String);
    if (values.length === 0 || !values[0]) {
      throw validationError(`ResourceIdentifier must be specified for resource ${logicalId} to import.`);
    }
    return { logicalId, type, physicalId: values[0] as string };
  });
}

export function createChangeSet(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const stackName = params.StackName as string | undefined;
  const csName = checkChangeSetName(params.ChangeSetName);
  const type = (params.ChangeSetType as string | undefined) ?? 'UPDATE';
  if (!['CREATE', 'UPDATE', 'IMPORT'].includes(type)) {
    throw validationError(
      `1 validation error detected: Value '${type}' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [IMPORT, UPDATE, CREATE]`,
    );
  }
  const mode = params.DeploymentMode as string | undefined;
  if (mode !== undefined && mode !== 'REVERT_DRIFT') {
    throw validationError(
      `1 validation error detected: Value '${mode}' at 'deploymentMode' failed to satisfy constraint: Member must satisfy enum value set: [REVERT_DRIFT]`,
    );
  }
  if (mode === 'REVERT_DRIFT' && type !== 'UPDATE') {
    throw validationError('DeploymentMode REVERT_DRIFT is only supported for change sets of type UPDATE.');
  }
  const clientToken = params.ClientToken as string | undefined;
  let stack: StackRecord | undefined = stackName ? findStack(env, stackName) : undefined;
  if (clientToken && stack) {
    const same = Object.values(env.target.changeSets).find(
      (c) => c.stackId === stack?.stackId && c.clientToken === clientToken && c.name === csName,
    );
    if (same) return { Id: same.id, StackId: same.stackId };
  }
  if (type === 'CREATE') {
    checkStackName(stackName);
    if (stack && stackStatusAt(stack, env.now).status !== 'REVIEW_IN_PROGRESS') {
      throw validationError(
        `Stack [${stackName}] already exists and cannot be created again with the changeSet [${csName}].`,
      );
    }
  } else if (type === 'IMPORT') {
    checkStackName(stackName);
    if (stack && stackStatusAt(stack, env.now).status !== 'REVIEW_IN_PROGRESS')
      requireUpdatable(stack, env.now);
  } else {
    if (!stack) throw validationError(`Stack [${stackName}] does not exist`);
    requireUpdatable(stack, env.now);
  }
  if (
    stack &&
    Object.values(env.target.changeSets).some((c) => c.stackId === stack?.stackId && c.name === csName)
  ) {
    throw new AwsError('AlreadyExistsException', `ChangeSet [${csName}] already exists`);
  }
  const source = readTemplateSource(env, params, stack);
  const capabilities = asArray(params.Capabilities as string[] | undefined);
  checkCapabilities(source.template, capabilities);
  const imports = type === 'IMPORT' ? checkImports(source.template, params.ResourcesToImport) : undefined;
  const previous = type !== 'CREATE' ? stack?.config.parameters : undefined;
  const resolved = resolveParameters(
    source.template,
    params.Parameters as GivenParameter[] | undefined,
    previous,
    (name) => ssmParameter(env.world, env.accountId, env.region, name),
  );
  checkRules(source.template, resolved.typed);
  const tags = (v: unknown): StackTag[] =>
    asArray(v as StackTag[] | undefined).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? '') }));
  const config: StackConfig = {
    templateHash: source.hash,
    parameters: resolved.values,
    tags: params.Tags === undefined && stack && type === 'UPDATE' ? stack.config.tags : tags(params.Tags),
    capabilities,
    notificationARNs:
      params.NotificationARNs === undefined && stack && type === 'UPDATE'
        ? stack.config.notificationARNs
        : asArray(params.NotificationARNs as string[] | undefined),
    disableRollback: false,
  };
  const roleARN = params.RoleARN ?? (type === 'UPDATE' ? stack?.config.roleARN : undefined);
  if (roleARN) config.roleARN = String(roleARN);
  // CloudFormation assumes the service role when it makes the change set (AWS Knowledge Center,
  // cloudformation-role-arn-error: "Update a stack when AWS CloudFormation creates a change set").
  actorFor(env, config.roleARN);

  const isNewStack = !stack;
  if (!stack) {
    stack = newStackRecord(env, stackName as string, config);
    stack.ops.push(
      packOperation(
        { id: stableUuid(`${stack.stackId}/review`), kind: 'CREATE', startedAt: env.now, endAt: env.now },
        [{ at: env.now, status: 'REVIEW_IN_PROGRESS', reason: 'User Initiated' }],
      ),
    );
  }
  const seq = nextSeq(env.section);
  const id = `arn:${partitionOf(env.region)}:cloudformation:${env.region}:${env.accountId}:changeSet/${csName}/${stableUuid(`${stack.stackId}/cs/${seq}`)}`;
  let diffs: ResourceDiff[];
  try {
    const deployed = stackStatusAt(stack, env.now).status !== 'REVIEW_IN_PROGRESS';
    if (type === 'UPDATE' || (type === 'IMPORT' && deployed)) {
      const previousTemplate = templateOf(env.section, stack.config.templateHash);
      diffs = planStack(env, {
        stack,
        template: source.template,
        parameters: resolved.typed,
        previous: {
          template: previousTemplate,
          parameters: typedParameters(previousTemplate, stack.config.parameters),
          resources: finalResources(stack),
        },
        assignIds: false,
        idSeed: id,
      }).diffs;
    } else {
      diffs = planStack(env, {
        stack,
        template: source.template,
        parameters: resolved.typed,
        assignIds: false,
        idSeed: id,
      }).diffs;
    }
  } catch (error) {
    if (isNewStack) {
      delete env.target.stacks[stack.stackId];
      delete env.target.byName[stack.stackName];
    }
    throw error;
  }
  const drift = mode === 'REVERT_DRIFT' ? currentDrift(env, stack) : {};
  const changes: unknown[] = [];
  if (imports) {
    const importing = new Set(imports.map((r) => r.logicalId));
    const others = diffs
      .filter((d) => d.action !== 'None' && !importing.has(d.logicalId))
      .map((d) => d.logicalId);
    if (others.length > 0) {
      if (isNewStack) {
        delete env.target.stacks[stack.stackId];
        delete env.target.byName[stack.stackName];
      }
      throw validationError(
        `As part of the import operation, you cannot modify or add [${others.join(', ')}]`,
      );
    }
    diffs = diffs.filter((d) => importing.has(d.logicalId));
  }
  for (const diff of diffs) {
    if (imports) {
      const imported = imports.find((r) => r.logicalId === diff.logicalId);
      changes.push({
        Type: 'Resource',
        HookInvocationCount: 0,
        ResourceChange: {
          Action: 'Import',
          LogicalResourceId: diff.logicalId,
          PhysicalResourceId: imported?.physicalId,
          ResourceType: diff.type,
          ChangeSetId: id,
          Scope: [],
          Details: [],
        },
      });
      continue;
    }
    const d = drift[diff.logicalId];
    if (diff.action === 'None' && !d) continue;
    const effective: ResourceDiff = diff.action === 'None' ? { ...diff, action: 'Modify' } : diff;
    changes.push(toChange(effective, id, d));
  }
  const unchanged =
    type === 'UPDATE' &&
    changes.length === 0 &&
    sameValue(stack.config.parameters, config.parameters) &&
    sameValue(stack.config.tags, config.tags) &&
    sameValue(
      { ...templateOf(env.section, stack.config.templateHash), format: undefined },
      { ...source.template, format: undefined },
    );
  const record: ChangeSetRecord = {
    id,
    name: csName,
    stackId: stack.stackId,
    stackName: stack.stackName,
    type: type as ChangeSetRecord['type'],
    createdAt: env.now,
    readyAt: env.now + durationOr(env.world, 'AWS::CloudFormation::ChangeSet', `${id}/create`, 3),
    outcome: unchanged ? 'FAILED' : 'CREATE_COMPLETE',
    executionStatus: unchanged ? 'UNAVAILABLE' : 'AVAILABLE',
    config,
    changes,
  };
  if (unchanged) record.statusReason = NO_CHANGES_REASON;
  if (params.Description !== undefined) record.description = String(params.Description);
  if (mode) record.deploymentMode = mode;
  if (clientToken) record.clientToken = clientToken;
  if (imports) record.imports = imports;
  env.target.changeSets[id] = record;
  // A new stack (REVIEW_IN_PROGRESS) exists from here on: CloudFormation reports its first status.
  if (isNewStack) scheduleStackStatusChanges(env.world, stack);
  return { Id: id, StackId: stack.stackId };
}

function changeSetStatus(cs: ChangeSetRecord, now: number): { status: string; execution: string } {
  if (now < cs.readyAt) return { status: 'CREATE_IN_PROGRESS', execution: 'UNAVAILABLE' };
  return { status: cs.outcome, execution: cs.executionStatus };
}

export function describeChangeSet(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const cs = findChangeSet(env, params);
  const stack = env.target.stacks[cs.stackId];
  if (stack) settleStack(env.target, stack, env.now, env.world);
  const { status, execution } = changeSetStatus(cs, env.now);
  const includeValues = asBool(params.IncludePropertyValues) ?? false;
  const all = status === 'CREATE_COMPLETE' ? cs.changes : [];
  const offset = params.NextToken
    ? Number(Buffer.from(String(params.NextToken), 'base64').toString('utf8'))
    : 0;
  if (!Number.isInteger(offset) || offset < 0) throw validationError('Invalid NextToken');
  const pageItems = all.slice(offset, offset + PAGE_SIZE).map((c) => (includeValues ? c : withoutValues(c)));
  const next =
    offset + PAGE_SIZE < all.length ? Buffer.from(String(offset + PAGE_SIZE)).toString('base64') : undefined;
  const out: Record<string, unknown> = {
    ChangeSetName: cs.name,
    ChangeSetId: cs.id,
    StackId: cs.stackId,
    StackName: cs.stackName,
    Parameters: Object.entries(cs.config.parameters).map(([k, v]) => ({
      ParameterKey: k,
      ParameterValue: v,
    })),
    CreationTime: new Date(cs.createdAt),
    ExecutionStatus: execution,
    Status: status,
    NotificationARNs: cs.config.notificationARNs,
    Capabilities: cs.config.capabilities,
    Tags: cs.config.tags,
    Changes: pageItems,
    IncludeNestedStacks: false,
  };
  if (cs.statusReason && status === 'FAILED') out.StatusReason = cs.statusReason;
  if (cs.description !== undefined) out.Description = cs.description;
  if (cs.deploymentMode) out.DeploymentMode = cs.deploymentMode;
  if (next) out.NextToken = next;
  return out;
}

/** Before/after values appear only with `IncludePropertyValues` (as in AWS). */
function withoutValues(change: unknown): unknown {
  const c = change as { ResourceChange?: { Details?: Array<{ Target?: Record<string, unknown> }> } };
  if (!c.ResourceChange?.Details?.length) return change;
  return {
    ...c,
    ResourceChange: {
      ...c.ResourceChange,
      Details: c.ResourceChange.Details.map((d) => {
        if (!d.Target) return d;
        const { BeforeValue: _b, AfterValue: _a, ...target } = d.Target;
        return { ...d, Target: target };
      }),
    },
  };
}

export function executeChangeSet(env: OpEnv, params: Record<string, unknown>): Record<string, never> {
  const cs = findChangeSet(env, params);
  const stack = requireStack(env, cs.stackId);
  const token = params.ClientRequestToken as string | undefined;
  if (token && stack.tokens[token]) return {};
  const { status, execution } = changeSetStatus(cs, env.now);
  if (status !== 'CREATE_COMPLETE' || execution !== 'AVAILABLE') {
    throw new AwsError(
      'InvalidChangeSetStatus',
      `ChangeSet [${cs.id}] cannot be executed in its current status of [${status === 'CREATE_COMPLETE' ? execution : status}]`,
    );
  }
  const template = templateOf(env.section, cs.config.templateHash);
  const typed = typedParameters(template, cs.config.parameters);
  const disableRollback = asBool(params.DisableRollback) ?? false;
  const config = { ...cs.config, disableRollback };
  env.actor = actorFor(env, config.roleARN);
  if (cs.type === 'IMPORT') {
    if (stackStatusAt(stack, env.now).status !== 'REVIEW_IN_PROGRESS') requireUpdatable(stack, env.now);
    startImport(env, stack, {
      template,
      config,
      typed,
      imports: cs.imports ?? [],
      changeSetId: cs.id,
      ...(token ? { token } : {}),
    });
  } else if (cs.type === 'CREATE') {
    startCreate(env, stack, {
      template,
      config,
      typed,
      onFailure: disableRollback ? 'DO_NOTHING' : 'ROLLBACK',
      changeSetId: cs.id,
      ...(token ? { token } : {}),
    });
  } else {
    requireUpdatable(stack, env.now);
    const revertDrift =
      cs.deploymentMode === 'REVERT_DRIFT' ? Object.keys(currentDrift(env, stack)) : undefined;
    startUpdate(env, stack, {
      template,
      config,
      typed,
      changeSetId: cs.id,
      ...(token ? { token } : {}),
      ...(revertDrift ? { revertDrift } : {}),
    });
  }
  cs.executionStatus = 'EXECUTE_IN_PROGRESS';
  cs.executedAt = env.now;
  stack.changeSetId = cs.id;
  // AWS deletes the stack's other change sets once one is executed.
  for (const [id, other] of Object.entries(env.target.changeSets)) {
    if (other.stackId === stack.stackId && id !== cs.id) delete env.target.changeSets[id];
  }
  return {};
}

export function deleteChangeSet(env: OpEnv, params: Record<string, unknown>): Record<string, never> {
  const cs = findChangeSet(env, params);
  const stack = env.target.stacks[cs.stackId];
  if (stack) settleStack(env.target, stack, env.now, env.world);
  if (cs.executionStatus === 'EXECUTE_IN_PROGRESS') {
    throw new AwsError('InvalidChangeSetStatus', `Cannot delete ChangeSet in status ${cs.executionStatus}`);
  }
  delete env.target.changeSets[cs.id];
  return {};
}

export function listChangeSets(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const stack = requireStack(env, params.StackName as string | undefined);
  const summaries = Object.values(env.target.changeSets)
    .filter((c) => c.stackId === stack.stackId)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((c) => {
      const { status, execution } = changeSetStatus(c, env.now);
      return {
        StackId: c.stackId,
        StackName: c.stackName,
        ChangeSetId: c.id,
        ChangeSetName: c.name,
        ExecutionStatus: execution,
        Status: status,
        ...(c.statusReason && status === 'FAILED' ? { StatusReason: c.statusReason } : {}),
        CreationTime: new Date(c.createdAt),
        ...(c.description !== undefined ? { Description: c.description } : {}),
        IncludeNestedStacks: false,
      };
    });
  const offset = params.NextToken
    ? Number(Buffer.from(String(params.NextToken), 'base64').toString('utf8'))
    : 0;
  const slice = summaries.slice(offset, offset + PAGE_SIZE);
  const next =
    offset + PAGE_SIZE < summaries.length
      ? Buffer.from(String(offset + PAGE_SIZE)).toString('base64')
      : undefined;
  return { Summaries: slice, ...(next ? { NextToken: next } : {}) };
}
