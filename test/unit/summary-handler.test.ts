import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { PlanFacts } from '../../functions/plan-targets';
import { handler, type SummarizeRolloutEvent } from '../../functions/summarize-rollout';
import { configureAws } from '../../src/aws/clients';
import { type PlannedTarget, type SkippedTarget, toJsonLines } from '../../src/core/plan';
import type { RolloutSummaryDocument } from '../../src/core/summary';

/** An in-memory bucket behind a mocked S3 client, with listing paginated by 2 to exercise pages. */
const s3 = mockClient(S3Client);
let objects: Map<string, { body: string; modified: Date }>;
let clock = 0;

function put(key: string, body: unknown) {
  objects.set(key, {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    modified: new Date(1_700_000_000_000 + clock++ * 1000),
  });
}

beforeAll(() => {
  configureAws({ credentials: { accessKeyId: 'AKIDADMIN', secretAccessKey: 'secret' } });
  process.env.AWS_REGION = 'eu-west-1';
});

beforeEach(() => {
  s3.reset();
  objects = new Map();
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const o = objects.get(input.Key);
    if (!o)
      throw Object.assign(new Error('The specified key does not exist.'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
    return { Body: { transformToString: async () => o.body } };
  });
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix)).sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + 2);
    const more = start + 2 < keys.length;
    return {
      Contents: page.map((Key) => ({ Key, LastModified: objects.get(Key)?.modified })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + 2) } : {}),
    };
  });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    put(input.Key, input.Body);
    return {};
  });
});

const plan: PlanFacts = {
  bucket: 'artifacts',
  targetsKey: 'rollouts/r1/targets.jsonl',
  canariesKey: 'rollouts/r1/canaries.jsonl',
  skippedKey: 'rollouts/r1/skipped.jsonl',
  resultsPrefix: 'rollouts/r1/results',
  canaryResultsPrefix: 'rollouts/r1/canary-results',
  summaryKey: 'rollouts/r1/summary.json',
  executionKey: 'rollouts/r1/execution.json',
  stackResultsPrefix: 'rollouts/r1/stack-results',
  accountCount: 3,
  targetCount: 3,
  canaryCount: 1,
  graph: false,
  skippedCount: 1,
  unreachableAccountCount: 0,
  maxConcurrency: 10,
  toleratedFailureCount: 0,
  toleratedFailurePercentage: 100,
};

const target = (accountId: string): PlannedTarget => ({
  accountId,
  region: 'eu-west-1',
  parameters: {},
  executionName: `${accountId}-eu-west-1-r1`,
});
const canary = target('100000000000');
const targets = [target('111111111111'), target('222222222222'), target('333333333333')];
const skipped: SkippedTarget[] = [
  {
    accountId: '444444444444',
    region: 'ap-east-1',
    outcome: 'SKIPPED',
    reason: 'Region ap-east-1 is not enabled',
  },
];

function entry(t: PlannedTarget, status: 'SUCCEEDED' | 'FAILED', outcome = 'CREATED') {
  const Input = JSON.stringify({ target: t, deployment: { stackName: 'baseline' } });
  return status === 'SUCCEEDED'
    ? {
        Status: status,
        Input,
        Output: JSON.stringify({ accountId: t.accountId, region: t.region, outcome, reason: outcome }),
      }
    : {
        Status: status,
        Input,
        Error: 'States.TaskFailed',
        Cause: JSON.stringify({
          Status: 'FAILED',
          Error: 'RoleNotAssumable',
          Cause: JSON.stringify({ reason: `Could not assume the role in ${t.accountId}` }),
        }),
      };
}

function writeRun(prefix: string, runId: string, succeeded: unknown[], failed: unknown[]) {
  const files: Record<string, Array<{ Key: string; Size: number }>> = {
    SUCCEEDED: [],
    FAILED: [],
    PENDING: [],
  };
  if (succeeded.length) {
    put(`${prefix}/${runId}/SUCCEEDED_0.json`, succeeded);
    files.SUCCEEDED?.push({ Key: `${prefix}/${runId}/SUCCEEDED_0.json`, Size: 1 });
  }
  if (failed.length) {
    put(`${prefix}/${runId}/FAILED_0.json`, failed);
    files.FAILED?.push({ Key: `${prefix}/${runId}/FAILED_0.json`, Size: 1 });
  }
  put(`${prefix}/${runId}/manifest.json`, {
    DestinationBucket: 'artifacts',
    MapRunArn: `arn:aws:states:eu-west-1:0:mapRun:x/y:${runId}`,
    ResultFiles: files,
  });
}

function event(state: Partial<SummarizeRolloutEvent['state']>): SummarizeRolloutEvent {
  return { bucket: 'artifacts', state: { rollout: { rolloutId: 'r1', mode: 'deploy' }, plan, ...state } };
}

function seedPlan() {
  put(plan.targetsKey, toJsonLines(targets));
  put(plan.canariesKey, toJsonLines([canary]));
  put(plan.skippedKey, toJsonLines(skipped));
}

describe('summarize-rollout handler', () => {
  test('reads canary and target results, writes summary.json and returns the small summary', async () => {
    seedPlan();
    writeRun(plan.canaryResultsPrefix, 'run-c', [entry(canary, 'SUCCEEDED', 'UPDATED')], []);
    writeRun(
      plan.resultsPrefix,
      'run-1',
      [entry(targets[0]!, 'SUCCEEDED'), entry(targets[1]!, 'SUCCEEDED', 'NO_CHANGE')],
      [entry(targets[2]!, 'FAILED')],
    );
    const summary = await handler(
      event({
        deployRun: {
          MapRunArn: 'arn',
          ResultWriterDetails: { Bucket: 'artifacts', Key: `${plan.resultsPrefix}/run-1/manifest.json` },
        },
      }),
    );
    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.counts).toEqual({
      CREATED: 1,
      UPDATED: 1,
      NO_CHANGE: 1,
      FAILED: 1,
      SKIPPED: 1,
      NOT_STARTED: 0,
    });
    expect(summary.failures).toEqual([
      expect.objectContaining({
        accountId: '333333333333',
        error: 'RoleNotAssumable',
        reason: 'Could not assume the role in 333333333333',
      }),
    ]);
    expect('targets' in summary).toBe(false);
    const document = JSON.parse(objects.get(plan.summaryKey)?.body ?? '{}') as RolloutSummaryDocument;
    expect(document.targets).toHaveLength(5);
    expect(document.targets.find((t) => t.accountId === '100000000000')).toMatchObject({
      phase: 'canary',
      outcome: 'UPDATED',
    });
  });

  test('after the Map failed beyond tolerance, finds the results by listing the prefix', async () => {
    seedPlan();
    writeRun(plan.canaryResultsPrefix, 'run-c', [entry(canary, 'SUCCEEDED')], []);
    writeRun(plan.resultsPrefix, 'run-1', [], [entry(targets[0]!, 'FAILED'), entry(targets[1]!, 'FAILED')]);
    const summary = await handler(
      event({
        deployError: {
          Error: 'States.ExceedToleratedFailureThreshold',
          Cause: 'The specified tolerated failure threshold was exceeded',
        },
      }),
    );
    expect(summary.status).toBe('FAILED');
    expect(summary.counts).toMatchObject({ CREATED: 1, FAILED: 2, NOT_STARTED: 1, SKIPPED: 1 });
    expect(summary.stoppedBy?.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(objects.has(plan.summaryKey)).toBe(true);
  });

  test('a canary failure: CANARY_FAILED and every main target NOT_STARTED', async () => {
    seedPlan();
    writeRun(plan.canaryResultsPrefix, 'run-c', [], [entry(canary, 'FAILED')]);
    const summary = await handler(
      event({ canaryError: { Error: 'States.ExceedToleratedFailureThreshold' } }),
    );
    expect(summary.status).toBe('CANARY_FAILED');
    expect(summary.counts).toMatchObject({ FAILED: 1, NOT_STARTED: 3 });
    expect(summary.failures[0]).toMatchObject({ accountId: '100000000000', phase: 'canary' });
  });

  test('reads every result file of large runs', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => target(String(500000000000 + i)));
    put(plan.targetsKey, toJsonLines(many));
    const files: Array<{ Key: string; Size: number }> = [];
    for (let i = 0; i < 5; i++) {
      const key = `${plan.resultsPrefix}/run-big/SUCCEEDED_${i}.json`;
      put(
        key,
        many.slice(i * 500, (i + 1) * 500).map((t) => entry(t, 'SUCCEEDED')),
      );
      files.push({ Key: key, Size: 1 });
    }
    put(`${plan.resultsPrefix}/run-big/manifest.json`, {
      ResultFiles: { SUCCEEDED: files, FAILED: [], PENDING: [] },
    });
    const summary = await handler(event({ plan: { ...plan, canaryCount: 0, targetCount: many.length } }));
    expect(summary.counts.CREATED).toBe(2500);
    expect(summary.counts.NOT_STARTED).toBe(0);
    expect(summary.total).toBe(2500);
  });

  test('when two map runs wrote results, the newer result of a target wins', async () => {
    put(plan.targetsKey, toJsonLines([targets[0]]));
    writeRun(plan.resultsPrefix, 'run-old', [], [entry(targets[0]!, 'FAILED')]);
    writeRun(plan.resultsPrefix, 'run-new', [entry(targets[0]!, 'SUCCEEDED', 'UPDATED')], []);
    const summary = await handler(event({ plan: { ...plan, canaryCount: 0, targetCount: 1 } }));
    expect(summary.counts).toMatchObject({ UPDATED: 1, FAILED: 0 });
  });
});
