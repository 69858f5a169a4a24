/**
 * Ways to change the sandbox CloudFormation world from outside its API: the scenario's
 * pre-existing stacks (seeded when the world is first used), and small functions tests and
 * fault injection call to make a resource fail, drift a resource, delete a stack out of band,
 * or put a stack in a given status.
 */
import type { SandboxWorld } from '../types';
import type { ResourceDrift } from './drift-types';
import { partitionOf } from './intrinsics';
import type { PlanEnv } from './plan';
import { stableUuid } from './resource-types';
import { scheduleStackStatusChanges } from './stack-events-schedule';
import {
  type CfnSection,
  cfnSection,
  emptySection,
  finalResources,
  nextSeq,
  type OperationKind,
  type OperationRecord,
  packOperation,
  type ResourceFailureRule,
  type StackRecord,
  type StoredEvent,
  settleStack,
  targetOf,
} from './state';
import { templateHash } from './template';

/** Template of a stack the scenario says exists before stackfleet ever ran. */
export const PREEXISTING_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: Stack that existed before the rollout (sandbox scenario)
Resources:
  Placeholder:
    Type: AWS::CloudFormation::WaitConditionHandle
`;

const DAY_MS = 86_400_000;

function envFor(section: CfnSection, world: SandboxWorld, accountId: string, region: string): PlanEnv {
  return {
    world,
    section,
    target: targetOf(section, accountId, region),
    accountId,
    region,
    now: world.now(),
  };
}

/**
 * The world's CloudFormation section, created with the scenario's pre-existing stacks when it does
 * not exist yet. Whatever reads the section first (an operation, or the IAM authorization that
 * comes before it) must create it this way, or the seeded stacks never appear.
 */
export function seededCfnSection(world: SandboxWorld): CfnSection {
  return cfnSection(world, () => {
    const s = emptySection();
    seedPreexistingStacks(s, world);
    return s;
  });
}

function bareStack(env: PlanEnv, stackName: string, createdAt: number): StackRecord {
  const hash = templateHash(PREEXISTING_TEMPLATE);
  env.section.templates[hash] = PREEXISTING_TEMPLATE;
  const seq = nextSeq(env.section);
  const stackId = `arn:${partitionOf(env.region)}:cloudformation:${env.region}:${env.accountId}:stack/${stackName}/${stableUuid(`${env.world.scenario.seed}/${env.accountId}/${env.region}/${stackName}/${seq}`)}`;
  const stack: StackRecord = {
    stackId,
    stackName,
    accountId: env.accountId,
    region: env.region,
    createdAt,
    config: {
      templateHash: hash,
      parameters: {},
      tags: [],
      capabilities: [],
      notificationARNs: [],
      disableRollback: false,
    },
    outputs: [],
    status: 'CREATE_COMPLETE',
    terminationProtection: false,
    ops: [],
    tokens: {},
    drift: { status: 'NOT_CHECKED', live: {}, scenarioRepaired: [], checked: {} },
  };
  env.target.stacks[stackId] = stack;
  env.target.byName[stackName] = stackId;
  return stack;
}

const PLACEHOLDER = { logicalId: 'Placeholder', type: 'AWS::CloudFormation::WaitConditionHandle' };

function historyOp(
  stack: StackRecord,
  n: number,
  kind: OperationKind,
  events: StoredEvent[],
): OperationRecord {
  const startedAt = events[0]?.at ?? 0;
  const endAt = events.reduce((m, e) => Math.max(m, e.at), startedAt);
  return packOperation({ id: stableUuid(`${stack.stackId}/seed/${n}`), kind, startedAt, endAt }, events);
}

/**
 * Seeds the scenario's `faults.preexistingStacks` (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED,
 * CREATE_COMPLETE on an old template, UPDATE_IN_PROGRESS that settles after two minutes), with
 * a plausible event history.
 */
export function seedPreexistingStacks(s: CfnSection, world: SandboxWorld): void {
  for (const spec of world.scenario.faults?.preexistingStacks ?? []) {
    const env = envFor(s, world, spec.account, spec.region);
    const now = env.now;
    const created = now - DAY_MS;
    const stack = bareStack(env, spec.stackName, created);
    const physicalId = `https://cloudformation-waitcondition-${spec.region}.s3.amazonaws.com/${encodeURIComponent(stack.stackId)}/Placeholder`;
    const res = (status: string, at: number, reason?: string): StoredEvent => ({
      ...PLACEHOLDER,
      at,
      status,
      physicalId,
      ...(reason ? { reason } : {}),
    });
    const createEvents: StoredEvent[] = [
      { at: created, status: 'CREATE_IN_PROGRESS', reason: 'User Initiated' },
      res('CREATE_IN_PROGRESS', created + 1000),
      res('CREATE_COMPLETE', created + 2000),
      { at: created + 3000, status: 'CREATE_COMPLETE' },
    ];
    switch (spec.status) {
      case 'CREATE_COMPLETE': {
        stack.ops.push(historyOp(stack, 1, 'CREATE', createEvents));
        stack.status = 'CREATE_COMPLETE';
        break;
      }
      case 'ROLLBACK_COMPLETE': {
        const reason =
          'The following resource(s) failed to create: [Placeholder]. Rollback requested by user.';
        const failure = 'Resource handler returned message: "Pre-existing failure (sandbox scenario)"';
        stack.ops.push(
          historyOp(stack, 1, 'CREATE', [
            { at: created, status: 'CREATE_IN_PROGRESS', reason: 'User Initiated' },
            res('CREATE_IN_PROGRESS', created + 1000),
            res('CREATE_FAILED', created + 2000, failure),
            { at: created + 3000, status: 'ROLLBACK_IN_PROGRESS', reason },
            res('DELETE_COMPLETE', created + 4000),
            { at: created + 5000, status: 'ROLLBACK_COMPLETE' },
          ]),
        );
        stack.status = 'ROLLBACK_COMPLETE';
        break;
      }
      case 'UPDATE_ROLLBACK_FAILED': {
        const updated = now - DAY_MS / 2;
        const failure =
          'Resource handler returned message: "Rollback of Placeholder failed (sandbox scenario)"';
        const reason = 'The following resource(s) failed to update: [Placeholder]. ';
        stack.ops.push(historyOp(stack, 1, 'CREATE', createEvents));
        stack.ops.push(
          historyOp(stack, 2, 'UPDATE', [
            { at: updated, status: 'UPDATE_IN_PROGRESS', reason: 'User Initiated' },
            res('UPDATE_IN_PROGRESS', updated + 1000),
            res(
              'UPDATE_FAILED',
              updated + 2000,
              'Resource handler returned message: "Update failed (sandbox scenario)"',
            ),
            { at: updated + 3000, status: 'UPDATE_ROLLBACK_IN_PROGRESS', reason },
            res('UPDATE_FAILED', updated + 4000, failure),
            { at: updated + 5000, status: 'UPDATE_ROLLBACK_FAILED', reason },
          ]),
        );
        stack.lastUpdatedAt = updated;
        stack.status = 'UPDATE_ROLLBACK_FAILED';
        stack.statusReason = reason;
        break;
      }
      case 'UPDATE_IN_PROGRESS': {
        const end = now + 120_000;
        stack.ops.push(historyOp(stack, 1, 'CREATE', createEvents));
        stack.ops.push(
          historyOp(stack, 2, 'UPDATE', [
            { at: now, status: 'UPDATE_IN_PROGRESS', reason: 'User Initiated' },
            res('UPDATE_IN_PROGRESS', now + 1000),
            res('UPDATE_COMPLETE', end - 2000),
            { at: end - 1000, status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' },
            { at: end, status: 'UPDATE_COMPLETE' },
          ]),
        );
        stack.lastUpdatedAt = now;
        stack.status = 'CREATE_COMPLETE';
        stack.pending = {
          at: end,
          status: 'UPDATE_COMPLETE',
          config: stack.config,
          outputs: [],
          repairedDrift: [],
        };
        break;
      }
    }
  }
}

/** Adds a resource-failure rule at run time (on top of the scenario's). */
export function injectResourceFailure(world: SandboxWorld, rule: ResourceFailureRule): void {
  seededCfnSection(world).injectedFailures.push(rule);
}

function liveStack(
  world: SandboxWorld,
  accountId: string,
  region: string,
  stackName: string,
): { s: CfnSection; stack: StackRecord } {
  const s = seededCfnSection(world);
  const target = targetOf(s, accountId, region);
  const id = target.byName[stackName] ?? (stackName.startsWith('arn:') ? stackName : undefined);
  const stack = id ? target.stacks[id] : undefined;
  if (!stack) throw new Error(`No stack ${stackName} in ${accountId}/${region}`);
  settleStack(target, stack, world.now(), world);
  return { s, stack };
}

/**
 * Makes a resource drift (as if someone changed it in the console) until a REVERT_DRIFT change
 * set, or an update that touches the resource, repairs it.
 */
export function markDrifted(
  world: SandboxWorld,
  accountId: string,
  region: string,
  stackName: string,
  logicalId: string,
  drift: Partial<ResourceDrift> = {},
): void {
  const { stack } = liveStack(world, accountId, region, stackName);
  if (!finalResources(stack)[logicalId]) throw new Error(`Stack ${stackName} has no resource ${logicalId}`);
  stack.drift.live[logicalId] = {
    property: drift.property ?? '',
    actual: drift.actual ?? JSON.stringify('changed-out-of-band'),
    ...(drift.expected !== undefined ? { expected: drift.expected } : {}),
    ...(drift.deleted ? { deleted: true } : {}),
  };
  stack.drift.scenarioRepaired = stack.drift.scenarioRepaired.filter((id) => id !== logicalId);
}

/** Deletes a stack as if someone deleted it by hand: gone now, events recorded. */
export function deleteStackOutOfBand(
  world: SandboxWorld,
  accountId: string,
  region: string,
  stackName: string,
): void {
  const { s, stack } = liveStack(world, accountId, region, stackName);
  const now = world.now();
  const events: StoredEvent[] = [{ at: now, status: 'DELETE_IN_PROGRESS', reason: 'User Initiated' }];
  for (const [id, r] of Object.entries(finalResources(stack))) {
    if (r.status === 'DELETE_COMPLETE') continue;
    events.push({
      at: now,
      logicalId: id,
      type: r.type,
      status: 'DELETE_COMPLETE',
      ...(r.physicalId ? { physicalId: r.physicalId } : {}),
    });
  }
  events.push({ at: now, status: 'DELETE_COMPLETE' });
  stack.ops.push(
    packOperation(
      { id: stableUuid(`${stack.stackId}/oob/${nextSeq(s)}`), kind: 'DELETE', startedAt: now, endAt: now },
      events,
    ),
  );
  stack.pending = {
    at: now,
    status: 'DELETE_COMPLETE',
    config: stack.config,
    outputs: [],
    repairedDrift: [],
  };
  stack.deletedAt = now;
  settleStack(targetOf(s, accountId, region), stack, now, world);
  scheduleStackStatusChanges(world, stack);
}

/** Puts a stack in a status directly (for tests of status handling): the stack settles there now. */
export function forceStackStatus(
  world: SandboxWorld,
  accountId: string,
  region: string,
  stackName: string,
  status: string,
  reason?: string,
): void {
  const { stack } = liveStack(world, accountId, region, stackName);
  const now = world.now();
  const events: StoredEvent[] = [{ at: now, status, ...(reason ? { reason } : {}) }];
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    const first = Object.entries(finalResources(stack)).find(([, r]) => r.status !== 'DELETE_COMPLETE');
    if (first) {
      const [logicalId, r] = first;
      events.unshift({
        at: now,
        logicalId,
        type: r.type,
        status: 'UPDATE_FAILED',
        reason: reason ?? 'Rollback failed (forced by the sandbox)',
        ...(r.physicalId ? { physicalId: r.physicalId } : {}),
      });
    }
  }
  stack.ops.push(
    packOperation(
      {
        id: stableUuid(`${stack.stackId}/forced/${stack.ops.length}`),
        kind: 'UPDATE',
        startedAt: now,
        endAt: now,
      },
      events,
    ),
  );
  stack.status = status;
  stack.statusReason = reason;
  scheduleStackStatusChanges(world, stack);
}
