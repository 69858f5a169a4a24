import { isTerminalError } from '../src/aws/aws-errors';
import { announceResult, readAnnouncedResult, stackOutputs } from '../src/aws/lane-facts';
import { ErrorNames, InvalidInputError, OutputMissingError } from '../src/core/errors';
import type { PlannedLaneStack } from '../src/core/graph-plan';
import {
  blockedResult,
  dependencyTimedOut,
  dependencyVerdict,
  dependencyWaitSeconds,
  finishLane,
  type LaneAction,
  LaneActions,
  type LaneOutput,
  type LaneStackResult,
  previewAwaitingInputs,
  resultOfRun,
} from '../src/core/lane-walk';
import { secondsBetween } from '../src/core/target-progress';
import type { GraphDeploymentSettings } from './validate-rollout';

/**
 * "Next stack" of the walk-lane state machine: records the stack that just ran, then looks at the
 * lane's next stack. Its dependencies in this lane have results here; those in other lanes of the
 * target are read from S3, where their lanes write them. A failed dependency leaves it BLOCKED
 * (and the walk goes on with the lane's other stacks); an unfinished one makes the lane wait; when
 * all succeeded, parameters from their outputs are read in the target and the stack runs. Returns
 * the walk's small state; credentials stay here.
 */

/** The lane item the rollout's fan-out starts the walker with. */
export interface LaneItem {
  rolloutId: string;
  mode: GraphDeploymentSettings['mode'];
  accountId: string;
  region: string;
  lane: { index: number; count: number; stacks: PlannedLaneStack[] };
  deployment: GraphDeploymentSettings;
}

/** What "Next stack" returns into `$.walk`. */
export interface WalkState {
  action: LaneAction;
  /** Index in the lane of the stack being run, waited for, or next. */
  position: number;
  results: LaneStackResult[];
  /** WAIT: since when this stack waits for its dependencies. */
  waitingSince?: string;
  waitSeconds?: number;
  /** RUN: the execution to start. */
  run?: {
    stack: string;
    executionName: string;
    input: Record<string, unknown>;
    /** When Next stack started it (the stack's own record may not say, when it failed early). */
    startedAt: string;
    inputsFrom?: Record<string, string>;
    pendingInputs?: Record<string, string>;
    /** Preview: parameters given a placeholder, their dependency's output not existing yet. */
    placeholders?: string[];
  };
  /** DONE and FAILED: the lane's output (FAILED: also the Fail state's Error and Cause). */
  result?: LaneOutput;
  error?: string;
  cause?: string;
}

export interface NextStackEvent {
  item: LaneItem;
  /** `$$.Execution.Id` of the walker: its per-stack executions name it as their parent. */
  executionId: string;
  bucket: string;
  walk?: WalkState;
  /** What "Run stack" left: the child's Status and Output, or the Catch's Error and Cause. */
  ran?: unknown;
}

function identity(item: LaneItem, planned: PlannedLaneStack) {
  const settings = item.deployment.stacks[planned.name];
  if (!settings) {
    throw new InvalidInputError(
      `deployment.stacks.${planned.name}`,
      `deployment.stacks must hold every stack a lane names (Validate input builds it). Received: no ${planned.name}`,
    );
  }
  return {
    stack: planned.name,
    stackName: settings.stackName,
    accountId: item.accountId,
    region: item.region,
    executionName: planned.executionName,
  };
}

/** Parameters for a stack: its literal ones, plus each `fromStack` output read in the target. */
async function resolveParameters(
  item: LaneItem,
  planned: PlannedLaneStack,
  known: (name: string) => LaneStackResult | undefined,
): Promise<{
  parameters: Record<string, string>;
  inputsFrom: Record<string, string>;
  pendingInputs: Record<string, string>;
  placeholders: string[];
}> {
  const settings = item.deployment.stacks[planned.name];
  const parameters = { ...planned.parameters };
  const inputsFrom: Record<string, string> = {};
  const pendingInputs: Record<string, string> = {};
  const placeholders: string[] = [];
  const outputsByStack = new Map<string, Record<string, string> | undefined>();
  const reader = {
    accountId: item.accountId,
    region: item.region,
    rolloutId: item.rolloutId,
    executionRoleName: item.deployment.executionRoleName,
    ...(item.deployment.externalId ? { externalId: item.deployment.externalId } : {}),
  };
  for (const [parameter, ref] of Object.entries(settings?.outputParameters ?? {})) {
    const source = `${ref.fromStack}.${ref.output}`;
    inputsFrom[parameter] = source;
    const dependency = item.deployment.stacks[ref.fromStack];
    if (!dependency) continue;
    if (!outputsByStack.has(ref.fromStack))
      outputsByStack.set(ref.fromStack, await stackOutputs(reader, dependency.stackName));
    const value = outputsByStack.get(ref.fromStack)?.[ref.output];
    const outcome = known(ref.fromStack)?.outcome;
    // A preview changes nothing: a dependency that would change (or be created) gives its output
    // only after it is deployed, so the value shown is what it is now, or a placeholder.
    if (item.mode === 'preview' && (outcome === 'CHANGES' || value === undefined)) {
      pendingInputs[parameter] = source;
      parameters[parameter] = value ?? `(from ${source})`;
      if (value === undefined) placeholders.push(parameter);
      continue;
    }
    if (value === undefined) {
      // Drift without repair compares what the request sets; an output it cannot read is not compared.
      if (item.mode === 'drift' && !item.deployment.repair) {
        pendingInputs[parameter] = source;
        continue;
      }
      throw new OutputMissingError(
        `Stack ${dependency.stackName} (${ref.fromStack}) in ${item.accountId} ${item.region} has no output ${ref.output}, which parameter ${parameter} of ${planned.name} reads (an output under a Condition that is false here is not created).`,
      );
    }
    parameters[parameter] = value;
  }
  return { parameters, inputsFrom, pendingInputs, placeholders };
}

/** The per-stack execution's input: what deploy-target, preview-target and drift-target take. */
function stackInput(event: NextStackEvent, planned: PlannedLaneStack, parameters: Record<string, string>) {
  const { item } = event;
  const { deployment } = item;
  const settings = deployment.stacks[planned.name];
  return {
    rolloutId: item.rolloutId,
    mode: item.mode,
    accountId: item.accountId,
    region: item.region,
    stackName: settings?.stackName,
    templateUrl: settings?.templateUrl,
    templateVersion: settings?.templateVersion,
    parameters,
    tags: settings?.tags ?? {},
    capabilities: settings?.capabilities ?? [],
    executionRoleName: deployment.executionRoleName,
    externalId: deployment.externalId,
    timeoutSeconds: deployment.timeoutSeconds,
    repair: deployment.repair,
    stackEvents: deployment.stackEvents,
    AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: event.executionId,
  };
}

export async function handler(event: NextStackEvent): Promise<WalkState> {
  const { item, bucket } = event;
  const stacks = item.lane.stacks;
  const now = new Date();
  const previous = event.walk;
  const results = [...(previous?.results ?? [])];
  let position = previous?.position ?? 0;
  const record = async (planned: PlannedLaneStack, result: LaneStackResult) => {
    results.push(result);
    if (planned.announce) await announceResult(bucket, item.rolloutId, result);
  };

  if (previous?.action === LaneActions.Run && previous.run) {
    const planned = stacks[position] as PlannedLaneStack;
    const base = {
      ...identity(item, planned),
      ...(previous.run.inputsFrom ? { inputsFrom: previous.run.inputsFrom } : {}),
      ...(previous.run.pendingInputs ? { pendingInputs: previous.run.pendingInputs } : {}),
    };
    const result = previewAwaitingInputs(resultOfRun(base, event.ran), previous.run.placeholders ?? []);
    result.startedAt = result.startedAt ?? previous.run.startedAt;
    result.finishedAt = result.finishedAt ?? now.toISOString();
    await record(planned, result);
    position += 1;
  }

  const laneNames = new Set(stacks.map((s) => s.name));
  while (position < stacks.length) {
    const planned = stacks[position] as PlannedLaneStack;
    const settings = item.deployment.stacks[planned.name];
    const base = identity(item, planned);
    const here = new Set([...laneNames, ...planned.waitFor]);
    const dependencies = (settings?.dependsOn ?? []).filter((d) => here.has(d));
    const announced = new Map<string, LaneStackResult | undefined>();
    for (const name of planned.waitFor) {
      announced.set(
        name,
        await readAnnouncedResult(bucket, item.rolloutId, item.accountId, item.region, name),
      );
    }
    const known = (name: string) => results.find((r) => r.stack === name) ?? announced.get(name);
    const verdict = dependencyVerdict(dependencies, known);
    if (verdict.kind === 'wait') {
      const since =
        previous?.action === LaneActions.Wait && previous.position === position && previous.waitingSince
          ? previous.waitingSince
          : now.toISOString();
      const waited = secondsBetween(since, now);
      if (waited >= item.deployment.timeoutSeconds) {
        await record(planned, dependencyTimedOut(base, verdict.pending, waited, now.toISOString()));
        position += 1;
        continue;
      }
      return {
        action: LaneActions.Wait,
        position,
        results,
        waitingSince: since,
        waitSeconds: dependencyWaitSeconds(waited),
      };
    }
    if (verdict.kind === 'blocked') {
      await record(planned, blockedResult(base, verdict, now.toISOString()));
      position += 1;
      continue;
    }
    try {
      const resolved = await resolveParameters(item, planned, known);
      return {
        action: LaneActions.Run,
        position,
        results,
        run: {
          stack: planned.name,
          executionName: planned.executionName,
          input: stackInput(event, planned, resolved.parameters),
          startedAt: now.toISOString(),
          ...(Object.keys(resolved.inputsFrom).length > 0 ? { inputsFrom: resolved.inputsFrom } : {}),
          ...(Object.keys(resolved.pendingInputs).length > 0
            ? { pendingInputs: resolved.pendingInputs }
            : {}),
          ...(resolved.placeholders.length > 0 ? { placeholders: resolved.placeholders } : {}),
        },
      };
    } catch (error) {
      // Throttling and transient errors are the state machine's to retry; anything definite ends this stack.
      if (!isTerminalError(error) && !(error instanceof OutputMissingError)) throw error;
      await record(planned, {
        ...base,
        outcome: 'FAILED',
        error: error instanceof Error ? error.name : ErrorNames.StackFailed,
        reason: `Not started: reading its inputs failed: ${(error as Error).message}`,
        finishedAt: now.toISOString(),
      });
      position += 1;
    }
  }
  const done = finishLane({
    accountId: item.accountId,
    region: item.region,
    lane: item.lane.index,
    stacks: results,
  });
  return {
    action: done.action,
    position,
    results,
    result: done.result,
    ...(done.error ? { error: done.error } : {}),
    ...(done.cause ? { cause: done.cause } : {}),
  };
}
