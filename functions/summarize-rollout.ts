import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsClients } from '../src/aws/clients';
import { ThrottledError, TransientError } from '../src/core/errors';
import type { PlannedLane } from '../src/core/graph-plan';
import { laneResultsFromEntry } from '../src/core/graph-summary';
import { type PlannedTarget, parseJsonLines, rolloutKeys, type SkippedTarget } from '../src/core/plan';
import { summarizePlanFailure } from '../src/core/plan-failure';
import type { RolloutInput } from '../src/core/rollout-input';
import {
  parseStackSeconds,
  recordStackSeconds,
  STACK_SECONDS_KEY,
  stackSecondsDocument,
} from '../src/core/stack-history';
import {
  type FanOutStop,
  parseResultFile,
  type RolloutSummary,
  smallSummary,
  summarizeRollout,
  type TargetResult,
  targetResultFromEntry,
} from '../src/core/summary';
import type { PlanFacts } from './plan-targets';

/**
 * "Summarize": reads what the fan-outs wrote to S3 (ResultWriter manifests and result files, all of
 * them, however many) plus the plan's skipped targets, writes the full per-target summary to
 * `rollouts/<id>/summary.json` and returns a small summary (counts, the first failures, status) that
 * becomes the execution's output and the SNS message. It also runs when a fan-out stopped (canary
 * failure, tolerance exceeded): results are then found by listing the results prefix. When planning
 * itself failed there is no plan and nothing to read: the summary is the reason (PLAN_FAILED).
 */

/** The Map state's output when ResultWriter is set. */
interface MapRunOutput {
  MapRunArn?: string;
  ResultWriterDetails?: { Bucket?: string; Key?: string };
}

/** The Catch output of a fan-out that stopped. */
interface CaughtError {
  Error?: string;
  Cause?: string;
}

export interface SummarizeRolloutEvent {
  bucket: string;
  /** The rollout's state: `rollout`, `plan`, and whichever fan-out results or caught errors exist. */
  state: {
    rollout: Pick<RolloutInput, 'rolloutId' | 'mode'> & {
      stacks?: Array<{ name: string; stackName?: string }>;
      stackName?: string;
    };
    /** Absent when planning failed (then `planError` holds why). */
    plan?: PlanFacts;
    planError?: CaughtError;
    canaryRun?: MapRunOutput;
    deployRun?: MapRunOutput;
    canaryError?: CaughtError;
    deployError?: CaughtError;
  };
}

/** ResultWriter's manifest.json. */
interface ResultManifest {
  ResultFiles?: Record<string, Array<{ Key?: string }>>;
}

function functionRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

async function send<T>(label: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = (error as Error).name ?? '';
    if (/throttl|slowdown|toomany/i.test(name))
      throw new ThrottledError(`${label} was throttled: ${(error as Error).message}`, { cause: error });
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== undefined && status >= 500)
      throw new TransientError(`${label} failed: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

async function readText(s3: S3Client, bucket: string, key: string, optional = false): Promise<string> {
  try {
    const answer = await send(`GetObject s3://${bucket}/${key}`, () =>
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
    );
    return (await answer.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    if (optional && ['NoSuchKey', 'NotFound'].includes((error as Error).name)) return '';
    throw error;
  }
}

/** Every object under a prefix with its last-modified time, across pages. */
async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Array<{ key: string; modified: number }>> {
  const out: Array<{ key: string; modified: number }> = [];
  let token: string | undefined;
  do {
    const page = await send(`ListObjectsV2 s3://${bucket}/${prefix}`, () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key) out.push({ key: o.Key, modified: o.LastModified ? new Date(o.LastModified).getTime() : 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * Result files of one fan-out, oldest map run first. The Map's own output names the manifest when the
 * Map succeeded; otherwise every manifest under the prefix is read (a redriven or repeated run leaves
 * more than one), and result files without a manifest are read directly.
 */
async function resultFileKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
  run?: MapRunOutput,
): Promise<string[]> {
  const objects = await listKeys(s3, bucket, `${prefix}/`);
  const manifests = objects
    .filter((x) => x.key.endsWith('/manifest.json'))
    .sort((a, b) => a.modified - b.modified || a.key.localeCompare(b.key))
    .map((x) => x.key);
  // The run this execution just finished is the newest, whatever the listing says.
  const known = run?.ResultWriterDetails?.Key;
  if (known) {
    if (manifests.includes(known)) manifests.splice(manifests.indexOf(known), 1);
    manifests.push(known);
  }
  const files: string[] = [];
  for (const manifestKey of manifests) {
    const text = await readText(s3, bucket, manifestKey, true);
    if (!text) continue;
    const manifest = JSON.parse(text) as ResultManifest;
    for (const [status, entries] of Object.entries(manifest.ResultFiles ?? {})) {
      // PENDING lists items never started; the plan accounts for those.
      if (status === 'PENDING') continue;
      for (const entry of entries) if (entry.Key && !files.includes(entry.Key)) files.push(entry.Key);
    }
  }
  if (manifests.length === 0) {
    for (const o of objects) {
      if (/\/(SUCCEEDED|FAILED|TIMED_OUT|ABORTED)_\d+\.jsonl?$/.test(o.key)) files.push(o.key);
    }
  }
  return files;
}

async function readResults(
  s3: S3Client,
  bucket: string,
  prefix: string,
  phase: TargetResult['phase'],
  run: MapRunOutput | undefined,
  graph: boolean,
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const key of await resultFileKeys(s3, bucket, prefix, run)) {
    for (const entry of parseResultFile(await readText(s3, bucket, key))) {
      // The stacks form: each entry is a lane walker's, standing for its stacks.
      if (graph) results.push(...laneResultsFromEntry(entry, phase));
      else results.push(targetResultFromEntry(entry, phase));
    }
  }
  return results;
}

export async function handler(event: SummarizeRolloutEvent): Promise<RolloutSummary> {
  const { bucket, state } = event;
  const { plan, rollout } = state;
  if (!plan || state.planError) {
    return summarizePlanFailure({
      rolloutId: rollout.rolloutId,
      mode: rollout.mode,
      summaryBucket: bucket,
      summaryKey: plan?.summaryKey ?? rolloutKeys(rollout.rolloutId).summaryKey,
      error: state.planError?.Error ?? 'Unknown',
      ...(state.planError?.Cause ? { cause: state.planError.Cause } : {}),
    });
  }
  const s3 = awsClients.s3({ region: functionRegion() });

  const graph = plan.graph === true;
  const targetItems = parseJsonLines<PlannedTarget>(await readText(s3, bucket, plan.targetsKey, true));
  const canaryItems = parseJsonLines<PlannedTarget>(await readText(s3, bucket, plan.canariesKey, true));
  const skipped = parseJsonLines<SkippedTarget>(await readText(s3, bucket, plan.skippedKey, true));
  const results = [
    ...(plan.canaryCount > 0
      ? await readResults(s3, bucket, plan.canaryResultsPrefix, 'canary', state.canaryRun, graph)
      : []),
    ...(plan.targetCount > 0
      ? await readResults(s3, bucket, plan.resultsPrefix, 'main', state.deployRun, graph)
      : []),
  ];
  // The stacks form: the manifests hold lanes; the summary plans one entry per (target, stack).
  const lanes = graph
    ? {
        targets: targetItems as unknown as PlannedLane[],
        canaries: canaryItems as unknown as PlannedLane[],
        ...(state.rollout.stacks ? { stacks: state.rollout.stacks.map((s) => s.name) } : {}),
      }
    : undefined;
  const targets = graph ? [] : targetItems;
  const canaries = graph ? [] : canaryItems;
  const stops: FanOutStop[] = [];
  if (state.canaryError)
    stops.push({
      stage: 'canaries',
      error: state.canaryError.Error ?? 'Unknown',
      ...(state.canaryError.Cause ? { cause: state.canaryError.Cause } : {}),
    });
  if (state.deployError)
    stops.push({
      stage: 'targets',
      error: state.deployError.Error ?? 'Unknown',
      ...(state.deployError.Cause ? { cause: state.deployError.Cause } : {}),
    });

  const document = summarizeRollout({
    rolloutId: rollout.rolloutId,
    mode: rollout.mode,
    summaryBucket: bucket,
    summaryKey: plan.summaryKey,
    targets,
    canaries,
    skipped,
    results,
    stops,
    generatedAt: new Date().toISOString(),
    ...(lanes ? { lanes } : {}),
  });
  await send(`PutObject s3://${bucket}/${plan.summaryKey}`, () =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: plan.summaryKey,
        Body: JSON.stringify(document, null, 2),
        ContentType: 'application/json',
      }),
    ),
  );
  await rememberStackSeconds(s3, bucket, rollout, results);
  return smallSummary(document);
}

/**
 * Keeps each created or updated stack's measured time for the next rollout's order
 * (src/core/stack-history.ts). Only ordering reads it, so a failure here is logged, not raised:
 * the rollout's summary is already written.
 */
async function rememberStackSeconds(
  s3: S3Client,
  bucket: string,
  rollout: SummarizeRolloutEvent['state']['rollout'],
  results: readonly TargetResult[],
): Promise<void> {
  const names = new Map((rollout.stacks ?? []).map((s) => [s.name, s.stackName ?? s.name]));
  const stackNameOf = (stack: string | undefined) =>
    stack === undefined ? rollout.stackName : names.get(stack);
  try {
    const previous = parseStackSeconds(await readText(s3, bucket, STACK_SECONDS_KEY, true));
    const seconds = recordStackSeconds(previous, results, stackNameOf);
    await send(`PutObject s3://${bucket}/${STACK_SECONDS_KEY}`, () =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: STACK_SECONDS_KEY,
          Body: JSON.stringify(stackSecondsDocument(seconds, new Date())),
          ContentType: 'application/json',
        }),
      ),
    );
  } catch (error) {
    console.warn(`Summarize: could not keep the stack times for the next rollout's order: ${String(error)}`);
  }
}
