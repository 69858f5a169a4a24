/**
 * Stack operations of the sandbox CloudFormation: create, update, delete, continue-rollback,
 * termination protection, with AWS's status rules, error codes and messages. The read
 * operations (stacks, resources, events, templates) are in stack-reads.ts.
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
import { partitionOf } from './intrinsics';
import { type GivenParameter, resolveParameters, ssmParameter } from './parameters';
import { planStack, sameValue } from './plan';
import { admitOperation } from './quotas';
import { stableUuid } from './resource-types';
import { checkRules } from './rules';
import { scheduleCreate, scheduleUpdate } from './schedule-create-update';
import { scheduleContinueRollback, scheduleDelete, scheduleImport } from './schedule-delete-import';
import { notePending } from './settle-due';
import { scheduleStackStatusChanges } from './stack-events-schedule';
import {
  type CfnSection,
  finalResources,
  isInProgress,
  nextSeq,
  type OperationKind,
  type StackConfig,
  type StackRecord,
  type StackTag,
  stackStatusAt,
} from './state';
import { type ParsedTemplate, requiredCapabilities } from './template';

/** Statuses from which UpdateStack (and UPDATE change sets) may start. */
export const UPDATABLE_STATUSES = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
  'CREATE_FAILED',
  'UPDATE_FAILED',
]);

/** Refuses a template that needs capabilities the caller did not acknowledge. */
export function checkCapabilities(template: ParsedTemplate, given: string[]): void {
  const { capabilities } = requiredCapabilities(template);
  const missing = capabilities.filter((c) => {
    if (given.includes(c)) return false;
    if (c === 'CAPABILITY_IAM' && given.includes('CAPABILITY_NAMED_IAM')) return false;
    return true;
  });
  if (missing.length > 0) {
    throw new AwsError(
      'InsufficientCapabilitiesException',
      `Requires capabilities : [${missing.join(', ')}]`,
    );
  }
}

function tagsOf(value: unknown): StackTag[] {
  return asArray(value as StackTag[] | undefined).map((t) => ({
    Key: String(t.Key),
    Value: String(t.Value ?? ''),
  }));
}

/** A new stack's id, unique and deterministic per world. */
export function newStackId(env: OpEnv, stackName: string): string {
  const seq = nextSeq(env.section);
  const uuid = stableUuid(`${env.world.scenario.seed}/${env.accountId}/${env.region}/${stackName}/${seq}`);
  return `arn:${partitionOf(env.region)}:cloudformation:${env.region}:${env.accountId}:stack/${stackName}/${uuid}`;
}

/** A stack record in its initial state (CREATE operations and REVIEW_IN_PROGRESS stacks start here). */
export function newStackRecord(env: OpEnv, stackName: string, config: StackConfig): StackRecord {
  const stack: StackRecord = {
    stackId: newStackId(env, stackName),
    stackName,
    accountId: env.accountId,
    region: env.region,
    createdAt: env.now,
    config,
    outputs: [],
    status: 'REVIEW_IN_PROGRESS',
    terminationProtection: false,
    ops: [],
    tokens: {},
    drift: { status: 'NOT_CHECKED', live: {}, scenarioRepaired: [], checked: {} },
  };
  env.target.stacks[stack.stackId] = stack;
  env.target.byName[stackName] = stack.stackId;
  return stack;
}

function opId(env: OpEnv, stack: StackRecord): string {
  return stableUuid(`${stack.stackId}/op/${nextSeq(env.section)}`);
}

/** Starts a CREATE operation on a (new or REVIEW_IN_PROGRESS) stack record. */
export function startCreate(
  env: OpEnv,
  stack: StackRecord,
  options: {
    template: ParsedTemplate;
    config: StackConfig;
    typed: Record<string, string | string[]>;
    onFailure: 'ROLLBACK' | 'DO_NOTHING' | 'DELETE';
    token?: string;
    changeSetId?: string;
  },
): void {
  const id = opId(env, stack);
  const plan = planStack(env, {
    stack,
    template: options.template,
    parameters: options.typed,
    assignIds: true,
    idSeed: id,
  });
  const base = {
    env,
    stack,
    kind: 'CREATE' as OperationKind,
    opId: id,
    resources: finalResources(stack),
    ...(options.token ? { token: options.token } : {}),
  };
  const scheduled = scheduleCreate(base, {
    plan,
    config: options.config,
    parameters: options.typed,
    onFailure: options.onFailure,
    ...(options.changeSetId ? { changeSetId: options.changeSetId } : {}),
  });
  admitOperation(env, stack, scheduled.op);
  stack.config = options.config;
  stack.ops.push(scheduled.op);
  stack.pending = scheduled.pending;
  notePending(env.world, stack);
  scheduleStackStatusChanges(env.world, stack);
  if (options.token) stack.tokens[options.token] = 'CREATE';
}

/** Starts an IMPORT operation (from an IMPORT change set). */
export function startImport(
  env: OpEnv,
  stack: StackRecord,
  options: {
    template: ParsedTemplate;
    config: StackConfig;
    typed: Record<string, string | string[]>;
    imports: Array<{ logicalId: string; type: string; physicalId: string }>;
    changeSetId: string;
    token?: string;
  },
): void {
  const id = opId(env, stack);
  const scheduled = scheduleImport(
    {
      env,
      stack,
      kind: 'IMPORT',
      opId: id,
      resources: finalResources(stack),
      ...(options.token ? { token: options.token } : {}),
    },
    {
      template: options.template,
      config: options.config,
      parameters: options.typed,
      imports: options.imports,
      changeSetId: options.changeSetId,
    },
  );
  admitOperation(env, stack, scheduled.op);
  if (stack.status === 'REVIEW_IN_PROGRESS') stack.config = options.config;
  else stack.lastUpdatedAt = env.now;
  stack.ops.push(scheduled.op);
  stack.pending = scheduled.pending;
  notePending(env.world, stack);
  scheduleStackStatusChanges(env.world, stack);
  if (options.token) stack.tokens[options.token] = 'IMPORT';
}

/** Parameters of the deployed configuration, typed for evaluation. */
export function typedParameters(
  template: ParsedTemplate,
  values: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(values)) {
    const type = template.Parameters[k]?.Type ?? 'String';
    out[k] = type === 'CommaDelimitedList' || type.startsWith('List<') ? (v === '' ? [] : v.split(',')) : v;
  }
  return out;
}

/** Starts an UPDATE operation from the stack's settled configuration. */
export function startUpdate(
  env: OpEnv,
  stack: StackRecord,
  options: {
    template: ParsedTemplate;
    config: StackConfig;
    typed: Record<string, string | string[]>;
    token?: string;
    changeSetId?: string;
    revertDrift?: string[];
  },
): void {
  const id = opId(env, stack);
  const previousTemplate = templateOf(env.section, stack.config.templateHash);
  const plan = planStack(env, {
    stack,
    template: options.template,
    parameters: options.typed,
    previous: {
      template: previousTemplate,
      parameters: typedParameters(previousTemplate, stack.config.parameters),
      resources: finalResources(stack),
    },
    assignIds: true,
    idSeed: id,
  });
  const base = {
    env,
    stack,
    kind: 'UPDATE' as OperationKind,
    opId: id,
    resources: finalResources(stack),
    ...(options.token ? { token: options.token } : {}),
  };
  const scheduled = scheduleUpdate(base, {
    plan,
    config: options.config,
    parameters: options.typed,
    previousTemplate,
    ...(options.changeSetId ? { changeSetId: options.changeSetId } : {}),
    ...(options.revertDrift ? { revertDrift: options.revertDrift } : {}),
  });
  admitOperation(env, stack, scheduled.op);
  stack.lastUpdatedAt = env.now;
  stack.ops.push(scheduled.op);
  stack.pending = scheduled.pending;
  notePending(env.world, stack);
  scheduleStackStatusChanges(env.world, stack);
  if (options.token) stack.tokens[options.token] = 'UPDATE';
}

function requireUpdatable(stack: StackRecord, now: number): void {
  const { status } = stackStatusAt(stack, now);
  if (!UPDATABLE_STATUSES.has(status)) {
    throw validationError(`Stack:${stack.stackId} is in ${status} state and can not be updated.`);
  }
}

export { requireUpdatable };

// ---------------------------------------------------------------------------------------------
// Mutating operations

export function createStack(env: OpEnv, params: Record<string, unknown>): { StackId: string } {
  const stackName = checkStackName(params.StackName);
  const token = params.ClientRequestToken as string | undefined;
  const existing = findStack(env, stackName);
  if (existing) {
    if (token && existing.tokens[token] === 'CREATE') return { StackId: existing.stackId };
    throw new AwsError('AlreadyExistsException', `Stack [${stackName}] already exists`);
  }
  const disableRollback = asBool(params.DisableRollback);
  const onFailureParam = params.OnFailure as string | undefined;
  if (disableRollback !== undefined && onFailureParam !== undefined) {
    throw validationError('You cannot specify both DisableRollback and OnFailure.');
  }
  if (onFailureParam !== undefined && !['ROLLBACK', 'DO_NOTHING', 'DELETE'].includes(onFailureParam)) {
    throw validationError(
      `1 validation error detected: Value '${onFailureParam}' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]`,
    );
  }
  const onFailure = (onFailureParam ?? (disableRollback ? 'DO_NOTHING' : 'ROLLBACK')) as
    | 'ROLLBACK'
    | 'DO_NOTHING'
    | 'DELETE';
  const source = readTemplateSource(env, params);
  const capabilities = asArray(params.Capabilities as string[] | undefined);
  checkCapabilities(source.template, capabilities);
  const resolved = resolveParameters(
    source.template,
    params.Parameters as GivenParameter[] | undefined,
    undefined,
    (name) => ssmParameter(env.world, env.accountId, env.region, name),
  );
  checkRules(source.template, resolved.typed);
  const config: StackConfig = {
    templateHash: source.hash,
    parameters: resolved.values,
    tags: tagsOf(params.Tags),
    capabilities,
    notificationARNs: asArray(params.NotificationARNs as string[] | undefined),
    disableRollback: onFailure === 'DO_NOTHING',
  };
  if (params.RoleARN) config.roleARN = String(params.RoleARN);
  if (params.TimeoutInMinutes !== undefined) config.timeoutInMinutes = Number(params.TimeoutInMinutes);
  env.actor = actorFor(env, config.roleARN);
  // Plan before the stack exists so an evaluation error (e.g. a missing import) creates nothing.
  const stack = newStackRecord(env, stackName, config);
  try {
    startCreate(env, stack, {
      template: source.template,
      config,
      typed: resolved.typed,
      onFailure,
      ...(token ? { token } : {}),
    });
  } catch (error) {
    delete env.target.stacks[stack.stackId];
    delete env.target.byName[stackName];
    throw error;
  }
  stack.terminationProtection = asBool(params.EnableTerminationProtection) ?? false;
  return { StackId: stack.stackId };
}

/** Tags compared as a set, as AWS does. */
function sortedTags(tags: StackTag[]): StackTag[] {
  return [...tags].sort((x, y) => (x.Key < y.Key ? -1 : x.Key > y.Key ? 1 : 0));
}

/** Whether an update would change nothing (AWS: "No updates are to be performed."). */
function sameDeployment(section: CfnSection, a: StackConfig, b: StackConfig): boolean {
  if (a.templateHash !== b.templateHash) {
    const ta = templateOf(section, a.templateHash);
    const tb = templateOf(section, b.templateHash);
    const strip = (t: ParsedTemplate) => ({ ...t, format: undefined });
    if (!sameValue(strip(ta), strip(tb))) return false;
  }
  return (
    sameValue(a.parameters, b.parameters) &&
    sameValue(sortedTags(a.tags), sortedTags(b.tags)) &&
    sameValue(a.notificationARNs, b.notificationARNs) &&
    (a.roleARN ?? '') === (b.roleARN ?? '')
  );
}

export function updateStack(env: OpEnv, params: Record<string, unknown>): { StackId: string } {
  const stack = requireStack(env, params.StackName as string | undefined);
  const token = params.ClientRequestToken as string | undefined;
  if (token && stack.tokens[token] === 'UPDATE') return { StackId: stack.stackId };
  requireUpdatable(stack, env.now);
  const source = readTemplateSource(env, params, stack);
  const capabilities = asArray(params.Capabilities as string[] | undefined);
  checkCapabilities(source.template, capabilities);
  const resolved = resolveParameters(
    source.template,
    params.Parameters as GivenParameter[] | undefined,
    stack.config.parameters,
    (name) => ssmParameter(env.world, env.accountId, env.region, name),
  );
  checkRules(source.template, resolved.typed);
  const config: StackConfig = {
    templateHash: source.hash,
    parameters: resolved.values,
    tags: params.Tags === undefined ? stack.config.tags : tagsOf(params.Tags),
    capabilities,
    notificationARNs:
      params.NotificationARNs === undefined
        ? stack.config.notificationARNs
        : asArray(params.NotificationARNs as string[]),
    disableRollback: asBool(params.DisableRollback) ?? false,
  };
  const roleARN = params.RoleARN ?? stack.config.roleARN;
  if (roleARN) config.roleARN = String(roleARN);
  if (sameDeployment(env.section, stack.config, config))
    throw validationError('No updates are to be performed.');
  env.actor = actorFor(env, config.roleARN);
  startUpdate(env, stack, {
    template: source.template,
    config,
    typed: resolved.typed,
    ...(token ? { token } : {}),
  });
  return { StackId: stack.stackId };
}

export function deleteStack(env: OpEnv, params: Record<string, unknown>): Record<string, never> {
  const nameOrId = params.StackName as string | undefined;
  if (!nameOrId) requireStack(env, nameOrId);
  const stack = findStack(env, nameOrId);
  if (!stack) return {};
  const { status } = stackStatusAt(stack, env.now);
  if (status === 'DELETE_COMPLETE' || status === 'DELETE_IN_PROGRESS') return {};
  const token = params.ClientRequestToken as string | undefined;
  if (token && stack.tokens[token] === 'DELETE') return {};
  if (stack.terminationProtection) {
    throw validationError(
      `Stack [${stack.stackName}] cannot be deleted while TerminationProtection is enabled`,
    );
  }
  if (isInProgress(status) && status !== 'REVIEW_IN_PROGRESS') {
    throw validationError(`Stack [${stack.stackName}] cannot be deleted while in status ${status}`);
  }
  const retain = asArray(params.RetainResources as string[] | undefined);
  if (retain.length > 0 && status !== 'DELETE_FAILED') {
    throw validationError(
      `Invalid operation on stack [${stack.stackId}]. RetainResources can only be specified when the stack is in the DELETE_FAILED state.`,
    );
  }
  env.actor = actorFor(env, (params.RoleARN as string | undefined) || stack.config.roleARN);
  const id = opId(env, stack);
  let template: ParsedTemplate | undefined;
  try {
    template = templateOf(env.section, stack.config.templateHash);
  } catch {
    template = undefined;
  }
  const scheduled = scheduleDelete(
    { env, stack, kind: 'DELETE', opId: id, resources: finalResources(stack), ...(token ? { token } : {}) },
    template,
    retain,
    template ? typedParameters(template, stack.config.parameters) : {},
  );
  admitOperation(env, stack, scheduled.op);
  stack.deletedAt = env.now;
  stack.ops.push(scheduled.op);
  stack.pending = scheduled.pending;
  notePending(env.world, stack);
  scheduleStackStatusChanges(env.world, stack);
  if (token) stack.tokens[token] = 'DELETE';
  return {};
}

export function continueUpdateRollback(env: OpEnv, params: Record<string, unknown>): Record<string, never> {
  const stack = requireStack(env, params.StackName as string | undefined);
  const token = params.ClientRequestToken as string | undefined;
  if (token && stack.tokens[token] === 'CONTINUE_ROLLBACK') return {};
  const { status } = stackStatusAt(stack, env.now);
  if (status !== 'UPDATE_ROLLBACK_FAILED') {
    throw validationError('ContinueUpdateRollback cannot be called from current stack status.');
  }
  const skip = asArray(params.ResourcesToSkip as string[] | undefined);
  for (const id of skip) {
    const r = finalResources(stack)[id];
    if (!r?.status.endsWith('_FAILED')) {
      throw validationError(
        `Nested stacks could not be rolled back. The following resource(s) are not in a failed state and cannot be skipped: [${id}]`,
      );
    }
  }
  env.actor = actorFor(env, (params.RoleARN as string | undefined) || stack.config.roleARN);
  const scheduled = scheduleContinueRollback(
    {
      env,
      stack,
      kind: 'CONTINUE_ROLLBACK',
      opId: opId(env, stack),
      resources: finalResources(stack),
      ...(token ? { token } : {}),
    },
    skip,
  );
  admitOperation(env, stack, scheduled.op);
  stack.ops.push(scheduled.op);
  stack.pending = scheduled.pending;
  notePending(env.world, stack);
  scheduleStackStatusChanges(env.world, stack);
  if (token) stack.tokens[token] = 'CONTINUE_ROLLBACK';
  return {};
}

export function updateTerminationProtection(
  env: OpEnv,
  params: Record<string, unknown>,
): { StackId: string } {
  const stack = requireStack(env, params.StackName as string | undefined);
  const enable = asBool(params.EnableTerminationProtection);
  if (enable === undefined) {
    throw validationError(
      "1 validation error detected: Value null at 'enableTerminationProtection' failed to satisfy constraint: Member must not be null",
    );
  }
  stack.terminationProtection = enable;
  return { StackId: stack.stackId };
}
