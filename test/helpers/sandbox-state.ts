/**
 * Reads a sandbox world saved by a CLI process (its `--state-dir`) in this process, to check what
 * the CLI did or did not do: which executions exist, and a snapshot of every stack and every S3
 * object to compare before and after a command that must change nothing. Read-only: the world is
 * opened in memory and never saved back.
 */
import {
  cfnSection,
  resourcesAt,
  type StackRecord,
  settleStack,
  stackStatusAt,
  unpackEvents,
} from '../../src/sandbox/cfn/state';
import { Sandbox } from '../../src/sandbox/sandbox';
import { s3State } from '../../src/sandbox/services/s3';
import { engineFor } from '../../src/sandbox/services/stepfunctions';

export interface ExecutionFact {
  name: string;
  stateMachine: string;
  status: string;
}

/** The name the sandbox deploys the CDK admin app under (src/sandbox/admin/synth.ts). */
const ADMIN_STACK_NAME = 'StackFleetAdmin';

/** Every execution of every state machine in the saved world. */
export async function savedExecutions(stateDir: string): Promise<ExecutionFact[]> {
  const sandbox = await Sandbox.open({ stateDir });
  return Object.values(engineFor(sandbox.world).store.executions).map((e) => ({
    name: e.name,
    stateMachine: e.stateMachineArn.split(':').pop() ?? '',
    status: e.status,
  }));
}

/**
 * The rollout state machine's ARN in a saved world: the `RolloutStateMachineArn` output of the admin
 * stack the sandbox deployed from the CDK app (its name is CloudFormation's), or undefined before
 * the admin stack exists.
 */
export function rolloutStateMachineArn(sandbox: Sandbox): string | undefined {
  const now = sandbox.now();
  for (const target of Object.values(cfnSection(sandbox.world).targets)) {
    for (const stack of Object.values(target.stacks)) {
      if (stack.stackName !== ADMIN_STACK_NAME) continue;
      settleStack(target, stack, now);
      const output = stack.outputs.find((o) => o.OutputKey === 'RolloutStateMachineArn');
      if (output && stackStatusAt(stack, now).status !== 'DELETE_COMPLETE') return output.OutputValue;
    }
  }
  return undefined;
}

/**
 * The baseline stacks (tiny-rollout.yaml's stackName) of the tiny organisation's member
 * (test/fixtures/cli/tiny-scenario.yaml), leaving out the StackFleetBootstrap stack the sandbox
 * deploys there while it prepares a new world.
 */
export function tinyBaselineStacks(sandbox: Sandbox): StackRecord[] {
  const stacks = cfnSection(sandbox.world).targets['888888888888/us-east-1']?.stacks ?? {};
  return Object.values(stacks).filter((s) => s.stackName === 'stackfleet-baseline');
}

/** Rollout executions (the rollout state machine's, not its Map runs' children) by name. */
export async function savedRollouts(stateDir: string): Promise<string[]> {
  const sandbox = await Sandbox.open({ stateDir });
  const rollout = rolloutStateMachineArn(sandbox);
  if (rollout === undefined) return [];
  return Object.values(engineFor(sandbox.world).store.executions)
    .filter((e) => e.stateMachineArn === rollout)
    .map((e) => e.name);
}

export interface WorldSnapshot {
  /** Per stack id: status, parameters, tags, resources (logical id -> physical id and status), event count. */
  stacks: Record<string, unknown>;
  /** Per `bucket/key`: the version ids and ETags, newest first. */
  objects: Record<string, string[]>;
}

/** The stacks of a snapshot that exist (not DELETE_COMPLETE). */
export function liveStacks(snapshot: WorldSnapshot): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(snapshot.stacks).filter(([, s]) => (s as { status: string }).status !== 'DELETE_COMPLETE'),
  );
}

/**
 * Every stack of every account and region (deleted ones included) and every S3 object version,
 * as a person would compare them: status, parameters, tags, resources, how many events.
 * `skipKeys` leaves out objects a command is expected to write (its own rollout's records).
 */
export async function snapshotWorld(
  stateDir: string,
  skipKeys: (bucketKey: string) => boolean = () => false,
) {
  const sandbox = await Sandbox.open({ stateDir });
  const now = sandbox.now();
  const stacks: WorldSnapshot['stacks'] = {};
  for (const target of Object.values(cfnSection(sandbox.world).targets)) {
    for (const stack of Object.values(target.stacks)) {
      // Fold operations that ended into the stack, as every CloudFormation call does first.
      settleStack(target, stack, now);
      const resources = Object.fromEntries(
        Object.entries(resourcesAt(stack, now)).map(([id, r]) => [id, `${r.physicalId ?? '-'} ${r.status}`]),
      );
      stacks[stack.stackId] = {
        status: stackStatusAt(stack, now).status,
        parameters: stack.config.parameters,
        tags: stack.config.tags,
        templateHash: stack.config.templateHash,
        resources,
        events: stack.ops.reduce((n, op) => n + unpackEvents(op).length, 0),
        drift: stack.drift.live,
      };
    }
  }
  const objects: WorldSnapshot['objects'] = {};
  for (const [bucket, state] of Object.entries(s3State(sandbox.world).buckets)) {
    for (const [key, versions] of Object.entries(state.objects)) {
      if (skipKeys(`${bucket}/${key}`)) continue;
      objects[`${bucket}/${key}`] = versions.map((v) => `${v.versionId} ${v.etag}`);
    }
  }
  return { stacks, objects } satisfies WorldSnapshot;
}
