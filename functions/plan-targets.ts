import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { awsClients } from '../src/aws/clients';
import { type FactsOptions, readOrganization, readRegions } from '../src/aws/organization-facts';
import { errorCode, withRetries } from '../src/aws/retry';
import { InvalidInputError } from '../src/core/errors';
import { orderLanesLongestFirst, stackParametersFor } from '../src/core/graph-plan';
import {
  fanOutFor,
  fanOutItems,
  orderLongestFirst,
  type PlannedTarget,
  resolveAccounts,
  resolveTargets,
  rolloutKeys,
  toJsonLines,
} from '../src/core/plan';
import {
  isStackGraph,
  type RolloutInput,
  type SingleStackRollout,
  type StackGraphRollout,
} from '../src/core/rollout-input';
import type { StackSpec } from '../src/core/stack-graph';
import { measuredOrPrior, parseStackSeconds, STACK_SECONDS_KEY } from '../src/core/stack-history';
import { readTemplateResources, templatePrior } from '../src/core/wait-policy';

/**
 * "Plan targets": resolves the rollout's account x region targets and writes them to S3 as JSON
 * Lines, returning only small facts, so the state payload and the parent's history stay the same
 * size for 10 or 10,000 targets. The organisation and region facts are read by
 * src/aws/organization-facts.ts (shared with "Validate input" and the CLI); an account whose role
 * cannot be assumed is not failed here: its targets are planned on the regions enabled everywhere
 * and their children fail with RoleNotAssumable, so the summary shows the real cause per target.
 * A preview runs every target with no canary phase and no failure tolerance (core/plan.ts fanOutFor).
 */

export interface PlanTargetsEvent {
  rollout: RolloutInput;
  /** The artifact bucket (`${ArtifactBucketName}`) the manifest is written to. */
  bucket: string;
  /**
   * `$$.Execution.Id` of the rollout. When given, the rollout id is claimed for this execution and a
   * different execution reusing it is refused (child names and S3 keys derive from the id).
   */
  executionId?: string;
}

/** Small facts about the plan; the state machine reads keys, counts and Map settings from here. */
export interface PlanFacts {
  bucket: string;
  targetsKey: string;
  canariesKey: string;
  skippedKey: string;
  resultsPrefix: string;
  canaryResultsPrefix: string;
  summaryKey: string;
  executionKey: string;
  /** The stacks form: where lanes leave the results of stacks other lanes wait for. */
  stackResultsPrefix: string;
  accountCount: number;
  /** Items of the main fan-out: targets, or in the stacks form lanes (see `graph`). */
  targetCount: number;
  canaryCount: number;
  /** The stacks form: the fan-outs run each target's lanes through the lane walker. */
  graph: boolean;
  skippedCount: number;
  /** Accounts whose execution role could not be assumed to list their regions. */
  unreachableAccountCount: number;
  maxConcurrency: number;
  toleratedFailureCount: number;
  toleratedFailurePercentage: number;
}

/** Retry timing and lookup concurrency of the planner's AWS calls (the handler uses the defaults). */
export type PlanOptions = FactsOptions;

function functionRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

async function putJsonLines(
  bucket: string,
  key: string,
  items: readonly unknown[],
  options: PlanOptions,
): Promise<void> {
  const s3 = awsClients.s3({ region: functionRegion() });
  const body = toJsonLines(items);
  await withRetries(
    `PutObject ${key}`,
    () =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          // Explicit: the SDK warns about bodies of unknown length, which includes an empty string.
          ContentLength: Buffer.byteLength(body),
          ContentType: 'application/x-ndjson',
        }),
      ),
    options,
  );
}

/**
 * Claims the rollout id for this execution. Child executions are named after the rollout id and
 * names are unique for 90 days, and results are keyed by it in S3: a second execution with the same
 * id would fail every target with ExecutionAlreadyExists and mix its results with the first one's.
 * A retry of the same execution finds its own claim and carries on.
 */
async function claimRolloutId(
  bucket: string,
  key: string,
  rollout: RolloutInput,
  executionId: string,
  options: PlanOptions,
): Promise<void> {
  const s3 = awsClients.s3({ region: functionRegion() });
  let owner: string | undefined;
  try {
    const answer = await withRetries(
      `GetObject ${key}`,
      () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      options,
    );
    const text = (await answer.Body?.transformToString('utf-8')) ?? '{}';
    owner = (JSON.parse(text) as { executionId?: string }).executionId ?? 'an earlier execution';
  } catch (error) {
    if (!['NoSuchKey', 'NotFound'].includes(errorCode(error))) throw error;
  }
  if (owner === executionId) return;
  if (owner !== undefined) {
    throw new InvalidInputError(
      'rolloutId',
      `rolloutId must be new for each rollout: ${rollout.rolloutId} was already used by ${owner} (child execution names derive from it and stay taken for 90 days). Received: ${rollout.rolloutId}`,
    );
  }
  const body = JSON.stringify({ executionId, rolloutId: rollout.rolloutId, mode: rollout.mode });
  await withRetries(
    `PutObject ${key}`,
    () =>
      s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      ),
    options,
  );
}

/** A template body from S3, or undefined (logged) when it cannot be read: estimates are only for ordering. */
async function templateBody(template: { bucket: string; key: string; versionId?: string }) {
  try {
    const s3 = awsClients.s3({ region: process.env.AWS_REGION ?? 'us-east-1' });
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: template.bucket,
        Key: template.key,
        ...(template.versionId ? { VersionId: template.versionId } : {}),
      }),
    );
    return await out?.Body?.transformToString();
  } catch (error) {
    console.warn(`Plan targets: could not read the template to estimate stack times: ${String(error)}`);
    return undefined;
  }
}

/** Expected create seconds of a template in one target (its conditions and parameters decide which resources exist). */
function estimateSeconds(
  body: string | undefined,
  target: { accountId: string; region: string; parameters: Record<string, string> },
): number {
  if (!body) return 0;
  try {
    return templatePrior(readTemplateResources(body, target)).expectedSeconds;
  } catch {
    return 0;
  }
}

/** Each stack's last measured seconds per target (src/core/stack-history.ts); empty when there is none or it cannot be read. */
async function measuredSeconds(bucket: string, options: PlanOptions): Promise<Record<string, number>> {
  const s3 = awsClients.s3({ region: functionRegion() });
  try {
    const out = await withRetries(
      `GetObject ${STACK_SECONDS_KEY}`,
      () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: STACK_SECONDS_KEY })),
      options,
    );
    return parseStackSeconds(await out.Body?.transformToString('utf-8'));
  } catch (error) {
    if (!['NoSuchKey', 'NotFound'].includes(errorCode(error)))
      console.warn(`Plan targets: could not read the stack times of earlier rollouts: ${String(error)}`);
    return {};
  }
}

/**
 * Orders the targets longest first: by the stack's last measured time in each (earlier rollouts),
 * else the template's expected create time. Without either, plan order.
 */
async function longestFirst(
  rollout: SingleStackRollout,
  targets: PlannedTarget[],
  history: Record<string, number>,
): Promise<PlannedTarget[]> {
  const body = await templateBody(rollout.template);
  if (!body && Object.keys(history).length === 0) return targets;
  const byTarget = new Map(targets.map((t) => [`${t.accountId}/${t.region}`, t]));
  const seconds = measuredOrPrior(history, (_stack, accountId, region) => {
    const t = byTarget.get(`${accountId}/${region}`);
    return t ? estimateSeconds(body, t) : 0;
  });
  return orderLongestFirst(targets, (t) => seconds(rollout.stackName, t.accountId, t.region));
}

/**
 * Each stack's expected seconds in a target (the stacks form): its last measured time there, else
 * what it measured elsewhere, else its template's prior.
 */
async function stackEstimator(rollout: StackGraphRollout, history: Record<string, number>) {
  const bodies = new Map<string, string | undefined>();
  for (const stack of rollout.stacks) bodies.set(stack.name, await templateBody(stack.template));
  const prior = (stack: StackSpec, target: PlannedTarget) =>
    estimateSeconds(bodies.get(stack.name), {
      ...target,
      parameters: stackParametersFor(stack, target.accountId, target.region),
    });
  const specs = new Map(rollout.stacks.map((s) => [s.stackName, s]));
  const seconds = measuredOrPrior(history, (stackName, accountId, region) => {
    const spec = specs.get(stackName);
    return spec ? prior(spec, { accountId, region, parameters: {}, executionName: '' }) : 0;
  });
  return (stack: StackSpec, target: PlannedTarget) =>
    seconds(stack.stackName, target.accountId, target.region);
}

export async function planTargets(event: PlanTargetsEvent, options: PlanOptions = {}): Promise<PlanFacts> {
  const { rollout, bucket } = event;
  const keys = rolloutKeys(rollout.rolloutId);
  if (event.executionId) await claimRolloutId(bucket, keys.executionKey, rollout, event.executionId, options);
  const org = await readOrganization(rollout, options);
  const accounts = resolveAccounts(rollout.targets, org);
  const regions = await readRegions(rollout, accounts.accountIds, options);
  // Earlier rollouts' measured stack times rank lanes and targets; the templates' priors fill the gaps.
  const history = await measuredSeconds(bucket, options);
  const estimate = isStackGraph(rollout) ? await stackEstimator(rollout, history) : undefined;
  const { plan } = resolveTargets(rollout, org, regions, estimate);
  const fanOut = fanOutFor(rollout, plan);
  if (!isStackGraph(rollout)) fanOut.targets = await longestFirst(rollout, fanOut.targets, history);
  const items = fanOutItems(fanOut);
  if (fanOut.lanes && estimate && isStackGraph(rollout)) {
    // Longest first lane by lane (src/core/graph-plan.ts orderLanesLongestFirst): every target's
    // long chain before any target's short one.
    const specs = new Map(rollout.stacks.map((s) => [s.name, s]));
    items.targets = orderLanesLongestFirst(fanOut.lanes.targets, (name, lane) => {
      const spec = specs.get(name);
      const target = { accountId: lane.accountId, region: lane.region, parameters: {}, executionName: '' };
      return spec ? estimate(spec, target) : 0;
    });
  }

  await putJsonLines(bucket, keys.targetsKey, items.targets, options);
  await putJsonLines(bucket, keys.canariesKey, items.canaries, options);
  await putJsonLines(bucket, keys.skippedKey, plan.skipped, options);

  return {
    bucket,
    ...keys,
    accountCount: accounts.accountIds.length,
    targetCount: items.targets.length,
    canaryCount: items.canaries.length,
    graph: fanOut.lanes !== undefined,
    skippedCount: plan.skipped.length,
    unreachableAccountCount: Object.keys(regions.unreachableAccounts).length,
    maxConcurrency: rollout.maxConcurrency,
    toleratedFailureCount: fanOut.toleratedFailureCount,
    toleratedFailurePercentage: fanOut.toleratedFailurePercentage,
  };
}

export async function handler(event: PlanTargetsEvent): Promise<PlanFacts> {
  return planTargets(event);
}
