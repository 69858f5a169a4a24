/**
 * The read operations of the sandbox CloudFormation: DescribeStacks, ListStacks,
 * DescribeStackEvents, DescribeStackResources, DescribeStackResource, ListStackResources and
 * GetTemplate, read from the operation schedules as they stand at the call's moment (split from
 * stack-ops.ts, which keeps the operations that change stacks).
 */
import { AwsError } from '../types';
import {
  asArray,
  type OpEnv,
  page,
  requireStack,
  settleAll,
  storeTemplate,
  templateBody,
  templateOf,
  validationError,
} from './common';
import { isNoEcho } from './parameters';
import { stableUuid } from './resource-types';
import {
  type OperationRecord,
  type ResourceRecord,
  resourcesAt,
  type StackRecord,
  type StoredEvent,
  stackStatusAt,
  unpackEvents,
} from './state';
import type { ParsedTemplate } from './template';

/** Items per page of the List* and Describe* calls that page. */
const PAGE_SIZE = 100;

/** The stack template's Description (read from the shared template, not stored per stack). */
function templateDescription(env: OpEnv, stack: StackRecord): string | undefined {
  try {
    return templateOf(env.section, stack.config.templateHash).Description;
  } catch {
    return undefined;
  }
}

/** DescribeStacks' shape of a stack at the current time. */
export function describeStack(env: OpEnv, stack: StackRecord): Record<string, unknown> {
  const { status, reason } = stackStatusAt(stack, env.now);
  const running = stack.pending && env.now < stack.pending.at;
  const config = (running ? stack.pending?.config : undefined) ?? stack.config;
  let template: ParsedTemplate | undefined;
  try {
    template = templateOf(env.section, config.templateHash);
  } catch {
    template = undefined;
  }
  const out: Record<string, unknown> = {
    StackId: stack.stackId,
    StackName: stack.stackName,
    Parameters: Object.entries(config.parameters).map(([k, v]) => ({
      ParameterKey: k,
      ParameterValue: template && isNoEcho(template, k) ? '****' : v,
    })),
    CreationTime: new Date(stack.createdAt),
    StackStatus: status,
    DisableRollback: config.disableRollback,
    NotificationARNs: config.notificationARNs,
    Tags: config.tags,
    EnableTerminationProtection: stack.terminationProtection,
    DriftInformation: {
      StackDriftStatus: stack.drift.status,
      ...(stack.drift.lastCheckAt !== undefined
        ? { LastCheckTimestamp: new Date(stack.drift.lastCheckAt) }
        : {}),
    },
  };
  if (template?.Description !== undefined) out.Description = template.Description;
  if (stack.changeSetId) out.ChangeSetId = stack.changeSetId;
  if (stack.deletedAt !== undefined) out.DeletionTime = new Date(stack.deletedAt);
  if (stack.lastUpdatedAt !== undefined) out.LastUpdatedTime = new Date(stack.lastUpdatedAt);
  if (reason !== undefined) out.StackStatusReason = reason;
  if (config.capabilities.length > 0) out.Capabilities = config.capabilities;
  // In UPDATE_COMPLETE_CLEANUP_IN_PROGRESS "the stack has been updated and is usable" (CloudFormation
  // User Guide, stack status codes): its outputs are the update's, though old resources still go.
  const outputs =
    running && status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' ? stack.pending?.outputs : undefined;
  if (outputs && outputs.length > 0) out.Outputs = outputs;
  else if (!running && stack.outputs.length > 0) out.Outputs = stack.outputs;
  if (config.roleARN) out.RoleARN = config.roleARN;
  if (config.timeoutInMinutes !== undefined) out.TimeoutInMinutes = config.timeoutInMinutes;
  return out;
}

export function describeStacks(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const name = params.StackName as string | undefined;
  if (name) return { Stacks: [describeStack(env, requireStack(env, name))] };
  settleAll(env);
  const live = Object.values(env.target.stacks)
    .filter((s) => s.status !== 'DELETE_COMPLETE' || (s.pending && env.now < s.pending.at))
    .sort((a, b) => b.createdAt - a.createdAt);
  const { items, next } = page(live, params.NextToken as string | undefined, 'DescribeStacks', PAGE_SIZE);
  return { Stacks: items.map((s) => describeStack(env, s)), ...(next ? { NextToken: next } : {}) };
}

export function listStacks(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  settleAll(env);
  const filter = asArray(params.StackStatusFilter as string[] | undefined);
  const summaries = Object.values(env.target.stacks)
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((s) => {
      const { status, reason } = stackStatusAt(s, env.now);
      const summary: Record<string, unknown> = {
        StackId: s.stackId,
        StackName: s.stackName,
        CreationTime: new Date(s.createdAt),
        StackStatus: status,
        DriftInformation: {
          StackDriftStatus: s.drift.status,
          ...(s.drift.lastCheckAt !== undefined ? { LastCheckTimestamp: new Date(s.drift.lastCheckAt) } : {}),
        },
      };
      const description = templateDescription(env, s);
      if (description !== undefined) summary.TemplateDescription = description;
      if (s.lastUpdatedAt !== undefined) summary.LastUpdatedTime = new Date(s.lastUpdatedAt);
      if (s.deletedAt !== undefined) summary.DeletionTime = new Date(s.deletedAt);
      if (reason !== undefined) summary.StackStatusReason = reason;
      return summary;
    })
    .filter((s) => filter.length === 0 || filter.includes(s.StackStatus as string));
  const { items, next } = page(summaries, params.NextToken as string | undefined, 'ListStacks', PAGE_SIZE);
  return { StackSummaries: items, ...(next ? { NextToken: next } : {}) };
}

/**
 * One operation's DescribeStackEvents entries, oldest first, with the moment each happens. An
 * operation's events are fixed when it is scheduled (only how many have happened by now
 * changes) and a rollout reads each stack's events several times, so the entries are built
 * once per operation. The cache is bounded like the template caches; entries are read-only.
 */
interface OperationEntries {
  at: number[];
  entries: Array<Record<string, unknown>>;
}
const MAX_RENDERED_OPERATIONS = 4096;
let renderedOperations = new Map<OperationRecord, OperationEntries>();

function operationEntries(stack: StackRecord, op: OperationRecord): OperationEntries {
  const known = renderedOperations.get(op);
  if (known) return known;
  const events = unpackEvents(op);
  const at: number[] = [];
  const entries: Array<Record<string, unknown>> = [];
  for (let index = 0; index < events.length; index++) {
    const e = events[index] as StoredEvent;
    const isStack = e.logicalId === undefined;
    const entry: Record<string, unknown> = {
      StackId: stack.stackId,
      EventId: isStack
        ? stableUuid(`${op.id}/${index}`)
        : `${e.logicalId}-${e.status}-${new Date(e.at).toISOString()}-${index}`,
      StackName: stack.stackName,
      LogicalResourceId: isStack ? stack.stackName : e.logicalId,
      PhysicalResourceId: isStack ? stack.stackId : (e.physicalId ?? ''),
      ResourceType: isStack ? 'AWS::CloudFormation::Stack' : e.type,
      Timestamp: new Date(e.at),
      ResourceStatus: e.status,
    };
    if (op.id) entry.OperationId = op.id;
    if (e.reason !== undefined) entry.ResourceStatusReason = e.reason;
    if (op.token !== undefined) entry.ClientRequestToken = op.token;
    at.push(e.at);
    entries.push(entry);
  }
  if (renderedOperations.size >= MAX_RENDERED_OPERATIONS) renderedOperations = new Map();
  const rendered = { at, entries };
  renderedOperations.set(op, rendered);
  return rendered;
}

export function describeStackEvents(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const stack = requireStack(env, params.StackName as string | undefined);
  // Every event up to now, oldest first. Operations never overlap and each one's events are
  // chronological: no sort needed.
  const events: Array<Record<string, unknown>> = [];
  for (const op of stack.ops) {
    if (op.startedAt > env.now) break;
    const { at, entries } = operationEntries(stack, op);
    for (let i = 0; i < entries.length && (at[i] as number) <= env.now; i++) {
      events.push(entries[i] as Record<string, unknown>);
    }
  }
  // Tokens count from the oldest event, so events that arrive between pages do not shift them.
  const token = params.NextToken as string | undefined;
  let endExclusive = events.length;
  if (token) {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
        before?: number;
        s?: string;
      };
      if (parsed.s !== stack.stackId || typeof parsed.before !== 'number') throw new Error('scope');
      endExclusive = parsed.before;
    } catch {
      throw validationError('Invalid NextToken');
    }
  }
  const start = Math.max(0, endExclusive - PAGE_SIZE);
  const StackEvents = events.slice(start, endExclusive).reverse();
  const next =
    start > 0
      ? Buffer.from(JSON.stringify({ before: start, s: stack.stackId })).toString('base64')
      : undefined;
  return { StackEvents, ...(next ? { NextToken: next } : {}) };
}

/**
 * Resources the API lists: deleted ones only while the stack itself is rolled back or deleted
 * (a removed or replaced resource disappears from an updated stack, as in AWS).
 */
export function visibleResources(stack: StackRecord, t: number): Array<[string, ResourceRecord]> {
  const { status } = stackStatusAt(stack, t);
  const showDeleted =
    status.startsWith('ROLLBACK') || status.startsWith('DELETE') || status.startsWith('CREATE_');
  return Object.entries(resourcesAt(stack, t)).filter(
    ([, r]) => showDeleted || r.status !== 'DELETE_COMPLETE',
  );
}

function resourceRows(env: OpEnv, stack: StackRecord): Array<[string, ResourceRecord]> {
  return visibleResources(stack, env.now);
}

function resourceDriftInfo(stack: StackRecord, logicalId: string): Record<string, unknown> {
  const checked = stack.drift.checked[logicalId];
  return checked
    ? { StackResourceDriftStatus: checked.status, LastCheckTimestamp: new Date(checked.at) }
    : { StackResourceDriftStatus: 'NOT_CHECKED' };
}

export function describeStackResources(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  let stack: StackRecord | undefined;
  const physical = params.PhysicalResourceId as string | undefined;
  if (params.StackName) stack = requireStack(env, params.StackName as string);
  else if (physical) {
    settleAll(env);
    stack = Object.values(env.target.stacks).find((s) =>
      Object.values(resourcesAt(s, env.now)).some((r) => r.physicalId === physical),
    );
    if (!stack) throw validationError(`Stack for ${physical} does not exist`);
  } else {
    throw validationError('Either StackName or PhysicalResourceId must be specified.');
  }
  const wanted = params.LogicalResourceId as string | undefined;
  const found = stack;
  const rows = resourceRows(env, found)
    .filter(
      ([id, r]) => (!wanted || id === wanted) && (!physical || params.StackName || r.physicalId === physical),
    )
    .map(([id, r]) => ({
      StackName: found.stackName,
      StackId: found.stackId,
      LogicalResourceId: id,
      ...(r.physicalId ? { PhysicalResourceId: r.physicalId } : {}),
      ResourceType: r.type,
      Timestamp: new Date(r.updatedAt),
      ResourceStatus: r.status,
      ...(r.reason ? { ResourceStatusReason: r.reason } : {}),
      DriftInformation: resourceDriftInfo(found, id),
    }));
  return { StackResources: rows };
}

export function describeStackResource(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const stack = requireStack(env, params.StackName as string | undefined);
  const id = params.LogicalResourceId as string | undefined;
  const r = id ? resourcesAt(stack, env.now)[id] : undefined;
  if (!id || !r) throw validationError(`Resource ${id} does not exist for stack ${stack.stackName}`);
  return {
    StackResourceDetail: {
      StackName: stack.stackName,
      StackId: stack.stackId,
      LogicalResourceId: id,
      ...(r.physicalId ? { PhysicalResourceId: r.physicalId } : {}),
      ResourceType: r.type,
      LastUpdatedTimestamp: new Date(r.updatedAt),
      ResourceStatus: r.status,
      ...(r.reason ? { ResourceStatusReason: r.reason } : {}),
      DriftInformation: resourceDriftInfo(stack, id),
    },
  };
}

export function listStackResources(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const stack = requireStack(env, params.StackName as string | undefined);
  const rows = resourceRows(env, stack).map(([id, r]) => ({
    LogicalResourceId: id,
    ...(r.physicalId ? { PhysicalResourceId: r.physicalId } : {}),
    ResourceType: r.type,
    LastUpdatedTimestamp: new Date(r.updatedAt),
    ResourceStatus: r.status,
    ...(r.reason ? { ResourceStatusReason: r.reason } : {}),
    DriftInformation: resourceDriftInfo(stack, id),
  }));
  const { items, next } = page(
    rows,
    params.NextToken as string | undefined,
    `ListStackResources/${stack.stackId}`,
    PAGE_SIZE,
  );
  return { StackResourceSummaries: items, ...(next ? { NextToken: next } : {}) };
}

export function getTemplate(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const csName = params.ChangeSetName as string | undefined;
  if (csName) {
    const cs = Object.values(env.target.changeSets).find(
      (c) =>
        c.id === csName ||
        (c.name === csName && (c.stackName === params.StackName || c.stackId === params.StackName)),
    );
    if (!cs) throw new AwsError('ChangeSetNotFound', `ChangeSet [${csName}] does not exist`, 404);
    return {
      TemplateBody: templateBody(env.section, cs.config.templateHash),
      StagesAvailable: ['Original', 'Processed'],
    };
  }
  const stack = requireStack(env, params.StackName as string | undefined);
  const hash =
    stack.pending && env.now < stack.pending.at
      ? (stack.pending.config ?? stack.config).templateHash
      : stack.config.templateHash;
  return { TemplateBody: templateBody(env.section, hash), StagesAvailable: ['Original', 'Processed'] };
}

export { storeTemplate };
