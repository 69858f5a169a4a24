/**
 * Distributed Map on the local engine: items from a JSONL object in sandbox S3, MaxConcurrency,
 * one named nested execution per target with its own history, results written to S3 in AWS's
 * format, failure tolerance, and a parent history that does not grow with the item count.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
} from '@aws-sdk/client-sfn';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { awsClients } from '../../src/aws/clients';
import { StackFailedError } from '../../src/core/errors';
import { substituteDefinition } from '../../src/core/functions';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'engine');
const ROLE = 'arn:aws:iam::111122223333:role/stackfleet-state-machine';
const BUCKET = 'engine-test-artifacts';

interface Target {
  account: string;
  region: string;
  seconds: number;
}

function targets(n: number, seconds: (i: number) => number = () => 30): Target[] {
  return Array.from({ length: n }, (_, i) => ({
    account: String(200000000000 + i),
    region: i % 2 ? 'eu-west-1' : 'us-east-1',
    seconds: seconds(i),
  }));
}

describe('local engine: Distributed Map', () => {
  let h: SandboxHarness;
  let fanOutArn: string;
  let targetArn: string;
  let topicArn: string;
  let active = 0;
  let maxActive = 0;
  let failAccounts = new Set<string>();

  async function getJson(key: string): Promise<unknown> {
    const out = await h.virtual(() => h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })));
    return JSON.parse((await h.virtual(async () => out.Body?.transformToString())) as string);
  }

  async function fanOut(
    rolloutId: string,
    items: Target[],
    options: { maxConcurrency: number; toleratedFailures: number },
  ) {
    const manifestKey = `manifests/${rolloutId}.jsonl`;
    const body = items.map((t) => JSON.stringify(t)).join('\n');
    await h.virtual(() => h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: manifestKey, Body: body })));
    active = 0;
    maxActive = 0;
    return h.run(fanOutArn, {
      rolloutId,
      bucket: BUCKET,
      manifestKey,
      resultsPrefix: `results/${rolloutId}`,
      topicArn,
      ...options,
    });
  }

  beforeAll(async () => {
    h = await openSandboxHarness({ provision: false });
    h.engine.registerFunction('stackfleet-test-begin', (event: Target) => {
      active++;
      maxActive = Math.max(maxActive, active);
      return event;
    });
    h.engine.registerFunction('stackfleet-test-end', (event: Target) => {
      active--;
      if (failAccounts.has(event.account)) {
        throw new StackFailedError(
          `Resource SecurityHubHub failed in ${event.account}/${event.region}: CREATE_FAILED`,
        );
      }
      return { account: event.account, region: event.region, outcome: 'CREATED' };
    });
    const sns = awsClients.sns({ region: h.region });
    await h.virtual(async () => {
      await h.s3.send(
        new CreateBucketCommand({
          Bucket: BUCKET,
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      );
      topicArn = (await sns.send(new CreateTopicCommand({ Name: 'engine-test' }))).TopicArn as string;
      targetArn = (
        await h.sfn.send(
          new CreateStateMachineCommand({
            name: 'test-target',
            definition: readFileSync(path.join(FIXTURES, 'target.asl.json'), 'utf8'),
            roleArn: ROLE,
          }),
        )
      ).stateMachineArn as string;
      const fanOutDefinition = substituteDefinition(
        readFileSync(path.join(FIXTURES, 'fan-out.asl.json'), 'utf8'),
        {
          TargetStateMachineArn: targetArn,
        },
      );
      fanOutArn = (
        await h.sfn.send(
          new CreateStateMachineCommand({ name: 'fan-out', definition: fanOutDefinition, roleArn: ROLE }),
        )
      ).stateMachineArn as string;
    });
  });

  beforeEach(() => {
    failAccounts = new Set();
  });

  it('reads items from S3, respects MaxConcurrency, names nested children and writes AWS-format results', async () => {
    const items = targets(12);
    const run = await fanOut('r1', items, { maxConcurrency: 3, toleratedFailures: 0 });

    expect(run.status).toBe('SUCCEEDED');
    expect(maxActive).toBe(3);
    // 12 targets, 3 at a time, 30 s each: four waves
    expect(run.metrics.simulatedSeconds).toBeGreaterThanOrEqual(120);
    expect(run.metrics.simulatedSeconds).toBeLessThan(125);

    const fanOutResult = (
      run.output as { fanOut: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } }
    ).fanOut;
    expect(fanOutResult.MapRunArn).toMatch(
      /^arn:aws:states:eu-west-1:111122223333:mapRun:fan-out\/Targets:[0-9a-f-]{36}$/,
    );
    const mapRunId = fanOutResult.MapRunArn.split(':').at(-1);
    expect(fanOutResult.ResultWriterDetails).toEqual({
      Bucket: BUCKET,
      Key: `results/r1/${mapRunId}/manifest.json`,
    });

    const manifest = (await getJson(fanOutResult.ResultWriterDetails.Key)) as {
      DestinationBucket: string;
      MapRunArn: string;
      ResultFiles: Record<string, Array<{ Key: string; Size: number }>>;
    };
    expect(manifest.DestinationBucket).toBe(BUCKET);
    expect(manifest.MapRunArn).toBe(fanOutResult.MapRunArn);
    expect(manifest.ResultFiles.FAILED).toEqual([]);
    expect(manifest.ResultFiles.PENDING).toEqual([]);
    expect(manifest.ResultFiles.SUCCEEDED).toHaveLength(1);
    const succeededKey = manifest.ResultFiles.SUCCEEDED?.[0]?.Key as string;
    expect(succeededKey).toBe(`results/r1/${mapRunId}/SUCCEEDED_0.json`);
    const succeeded = (await getJson(succeededKey)) as Array<Record<string, unknown>>;
    expect(succeeded).toHaveLength(12);
    const first = succeeded[0] as Record<string, string>;
    expect(first.Status).toBe('SUCCEEDED');
    expect(first.ExecutionArn).toMatch(/:execution:fan-out\/Targets:[0-9a-f-]{36}$/);
    expect(JSON.parse(first.Input as string).target).toEqual(items[0]);
    expect(JSON.parse(first.Output as string)).toEqual({
      status: 'SUCCEEDED',
      output: { account: items[0]?.account, region: items[0]?.region, outcome: 'CREATED' },
    });

    // the map run, as DescribeMapRun / ListMapRuns / ListExecutions report it
    const runs = await h.virtual(() =>
      h.sfn.send(new ListMapRunsCommand({ executionArn: run.executionArn })),
    );
    expect(runs.mapRuns?.map((m) => m.mapRunArn)).toEqual([fanOutResult.MapRunArn]);
    const described = await h.virtual(() =>
      h.sfn.send(new DescribeMapRunCommand({ mapRunArn: fanOutResult.MapRunArn })),
    );
    expect(described.status).toBe('SUCCEEDED');
    expect(described.maxConcurrency).toBe(3);
    expect(described.itemCounts).toMatchObject({
      total: 12,
      succeeded: 12,
      failed: 0,
      pending: 0,
      running: 0,
      resultsWritten: 12,
    });
    expect(described.executionCounts).toMatchObject({ total: 12, succeeded: 12 });
    const children = await h.virtual(() =>
      h.sfn.send(new ListExecutionsCommand({ mapRunArn: fanOutResult.MapRunArn, maxResults: 5 })),
    );
    expect(children.executions).toHaveLength(5);
    expect(children.nextToken).toBeDefined();

    // one named nested execution per target, linked to its map run child, with its own history
    const nested = await h.virtual(() =>
      h.sfn.send(new ListExecutionsCommand({ stateMachineArn: targetArn })),
    );
    const names = (nested.executions ?? []).map((e) => e.name).sort();
    expect(names).toEqual(items.map((t) => `${t.account}-${t.region}-r1`).sort());
    const one = await h.virtual(() =>
      h.sfn.send(
        new DescribeExecutionCommand({
          executionArn: `${targetArn.replace(':stateMachine:', ':execution:')}:${items[0]?.account}-us-east-1-r1`,
        }),
      ),
    );
    expect(one.status).toBe('SUCCEEDED');
    expect(JSON.parse(one.input as string).AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID).toBe(
      first.ExecutionArn,
    );
    const childHistory = await h.virtual(() =>
      h.sfn.send(new GetExecutionHistoryCommand({ executionArn: one.executionArn })),
    );
    expect(childHistory.events?.map((e) => e.type)).toContain('WaitStateEntered');

    // the parent records the map run, not the items
    const parentHistory = await h.virtual(() =>
      h.sfn.send(new GetExecutionHistoryCommand({ executionArn: run.executionArn })),
    );
    const types = parentHistory.events?.map((e) => e.type) ?? [];
    expect(types).toEqual(
      expect.arrayContaining([
        'MapStateEntered',
        'MapRunStarted',
        'MapRunSucceeded',
        'MapStateExited',
        'TaskScheduled',
        'ExecutionSucceeded',
      ]),
    );
    expect(types).not.toContain('MapIterationStarted');

    // the summary went to the topic through SNS
    const published = readSnsMessages(h.sandbox.world, topicArn);
    expect(JSON.parse(published.at(-1)?.message as string)).toEqual(fanOutResult);
  });

  it('keeps the parent history the same size whatever the number of items', async () => {
    const small = await fanOut('size-a', targets(2), { maxConcurrency: 0, toleratedFailures: 0 });
    const large = await fanOut('size-b', targets(40), { maxConcurrency: 0, toleratedFailures: 0 });
    expect(large.status).toBe('SUCCEEDED');
    expect(large.metrics.targets).toBe(40);
    expect(large.metrics.parentHistoryEvents).toBe(small.metrics.parentHistoryEvents);
    // MaxConcurrency 0 runs every item at once: the whole map takes one target's time
    expect(large.metrics.simulatedSeconds).toBeLessThan(35);
  });

  // AWS: past the tolerance the Map Run fails and Step Functions stops the child executions still
  // running (Step Functions API reference, MapRunExecutionCounts: `aborted` counts children
  // "stopped by the user or by Step Functions because the Map Run failed").
  it('past the tolerance fails the Map Run, aborts the children still running and their nested executions, and still writes the results', async () => {
    const items = targets(10, (i) => [10, 20, 100, 100][i] ?? 30);
    failAccounts = new Set([items[0]?.account as string, items[1]?.account as string]);
    const run = await fanOut('r2', items, { maxConcurrency: 3, toleratedFailures: 1 });

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RolloutFailed');
    expect(run.cause).toContain('tolerated failure threshold was exceeded');
    expect(run.cause).toContain('2 of 10 items failed');
    // item 1 failed at 20 s, the second failure: items 2 and 3 (100 s each) were stopped then
    expect(run.metrics.simulatedSeconds).toBeLessThan(30);

    const runs = await h.virtual(() =>
      h.sfn.send(new ListMapRunsCommand({ executionArn: run.executionArn })),
    );
    const mapRunArn = runs.mapRuns?.[0]?.mapRunArn as string;
    const described = await h.virtual(() => h.sfn.send(new DescribeMapRunCommand({ mapRunArn })));
    expect(described.status).toBe('FAILED');
    expect(described.toleratedFailureCount).toBe(1);
    expect(described.itemCounts).toMatchObject({
      total: 10,
      succeeded: 0,
      failed: 2,
      aborted: 2,
      pending: 6,
      running: 0,
    });
    expect(described.executionCounts).toMatchObject({ aborted: 2, failed: 2, running: 0 });

    // The nested executions the aborted children waited on were stopped with them.
    const nested = await h.virtual(() =>
      h.sfn.send(new ListExecutionsCommand({ stateMachineArn: targetArn, maxResults: 100 })),
    );
    const status = (i: number) =>
      nested.executions?.find((e) => e.name === `${items[i]?.account}-${items[i]?.region}-r2`)?.status;
    expect([0, 1, 2, 3].map(status)).toEqual(['FAILED', 'FAILED', 'ABORTED', 'ABORTED']);
    expect(status(4)).toBeUndefined();

    const manifest = (await getJson(`results/r2/${mapRunArn.split(':').at(-1)}/manifest.json`)) as {
      ResultFiles: Record<string, Array<{ Key: string }>>;
    };
    const failed = (await getJson(manifest.ResultFiles.FAILED?.[0]?.Key as string)) as Array<
      Record<string, string>
    >;
    expect(failed.map((e) => e.Status).sort()).toEqual(['ABORTED', 'ABORTED', 'FAILED', 'FAILED']);
    const first = failed.find((e) => e.Status === 'FAILED');
    expect(first?.Error).toBe('States.TaskFailed');
    const childFailure = JSON.parse(first?.Cause as string);
    expect(childFailure.Status).toBe('FAILED');
    expect(childFailure.Error).toBe('StackFailed');
    expect(JSON.parse(childFailure.Cause).errorMessage).toContain('SecurityHubHub failed');
    expect(failed.find((e) => e.Status === 'ABORTED')?.Cause).toContain(`Map Run ${mapRunArn} failed`);
    const pending = (await getJson(manifest.ResultFiles.PENDING?.[0]?.Key as string)) as Array<
      Record<string, string>
    >;
    expect(pending).toHaveLength(6);
    expect(JSON.parse(pending[0]?.Input as string).target).toEqual(items[4]);
    expect(manifest.ResultFiles.SUCCEEDED ?? []).toEqual([]);
  });
});
