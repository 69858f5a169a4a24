import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { awsClients } from '../src/aws/clients';
import { type FactsOptions, readOrganization, readRegions } from '../src/aws/organization-facts';
import { errorCode, withRetries } from '../src/aws/retry';
import { InvalidInputError } from '../src/core/errors';
import {
  fanOutFor,
  orderLongestFirst,
  type PlannedTarget,
  resolveAccounts,
  resolveTargets,
  rolloutKeys,
  toJsonLines,
} from '../src/core/plan';
import type { RolloutInput } from '../src/core/rollout-input';
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
  accountCount: number;
  targetCount: number;
  canaryCount: number;
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

/** The planning itself, with tunable retry timing (the handler uses the defaults). */
/**
 * Orders the targets by the template's expected create time for each (its conditions and the
 * target's parameters decide which resources exist there). Without the template, plan order.
 */
async function longestFirst(rollout: RolloutInput, targets: PlannedTarget[]): Promise<PlannedTarget[]> {
  let body: string | undefined;
  try {
    const s3 = awsClients.s3({ region: process.env.AWS_REGION ?? 'us-east-1' });
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: rollout.template.bucket,
        Key: rollout.template.key,
        ...(rollout.template.versionId ? { VersionId: rollout.template.versionId } : {}),
      }),
    );
    body = await out?.Body?.transformToString();
  } catch (error) {
    console.warn(
      `Plan targets: could not read the template to order targets longest-first: ${String(error)}`,
    );
  }
  if (!body) return targets;
  const template = body;
  const estimate = (t: PlannedTarget) => {
    try {
      return templatePrior(
        readTemplateResources(template, {
          region: t.region,
          accountId: t.accountId,
          parameters: t.parameters,
        }),
      ).expectedSeconds;
    } catch {
      return 0;
    }
  };
  return orderLongestFirst(targets, estimate);
}

export async function planTargets(event: PlanTargetsEvent, options: PlanOptions = {}): Promise<PlanFacts> {
  const { rollout, bucket } = event;
  const keys = rolloutKeys(rollout.rolloutId);
  if (event.executionId) await claimRolloutId(bucket, keys.executionKey, rollout, event.executionId, options);
  const org = await readOrganization(rollout, options);
  const accounts = resolveAccounts(rollout.targets, org);
  const regions = await readRegions(rollout, accounts.accountIds, options);
  const { plan } = resolveTargets(rollout, org, regions);
  const fanOut = fanOutFor(rollout, plan);
  const targets = await longestFirst(rollout, fanOut.targets);

  await putJsonLines(bucket, keys.targetsKey, targets, options);
  await putJsonLines(bucket, keys.canariesKey, fanOut.canaries, options);
  await putJsonLines(bucket, keys.skippedKey, plan.skipped, options);

  return {
    bucket,
    ...keys,
    accountCount: accounts.accountIds.length,
    targetCount: fanOut.targets.length,
    canaryCount: fanOut.canaries.length,
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
