/**
 * End to end on the sandbox: the real statemachines/*.asl.json, provisioned with the CDK's
 * substitutions, running the real functions/ handlers in-process against the emulated
 * accounts, driven through the real SFNClient by the harness other tests use.
 */
import {
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
} from '@aws-sdk/client-sfn';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import { openSandboxHarness, type RunResult, type SandboxHarness } from '../helpers/sandbox-harness';

interface Summary {
  status: string;
  total: number;
  counts: Record<string, number>;
  subject: string;
}

function rolloutInput(h: SandboxHarness) {
  return {
    mode: 'deploy',
    stackName: 'stackfleet-baseline',
    executionRoleName: 'StackFleetExecution',
    template: h.template,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    targets: { organizationalUnits: ['ou-sf01-security'], regions: ['us-east-1', 'eu-west-1'] },
    maxConcurrency: 4,
  };
}

describe('rollout on the sandbox through the real state machines', () => {
  let h: SandboxHarness;
  let first: RunResult;

  beforeAll(async () => {
    h = await openSandboxHarness();
    first = await h.runRollout(rolloutInput(h));
  });

  it('creates the stack in every target, one named deploy-target execution each', async () => {
    expect(first.status).toBe('SUCCEEDED');
    const summary = first.output as Summary;
    expect(summary.total).toBe(6);
    expect(summary.counts.CREATED).toBe(6);
    expect(first.metrics.targets).toBe(6);
    expect(first.metrics.cloudFormationCallsPerTarget).toBeGreaterThan(0);
    expect(first.metrics.simulatedSeconds).toBeGreaterThan(30);

    const nested = await h.virtual(() =>
      h.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: h.admin?.deployTargetStateMachineArn as string }),
      ),
    );
    expect(nested.executions).toHaveLength(6);
    for (const e of nested.executions ?? []) {
      expect(e.status).toBe('SUCCEEDED');
      expect(e.name).toMatch(/^\d{12}-(us-east-1|eu-west-1)-/);
      expect((e.name as string).length).toBeLessThanOrEqual(80);
    }

    const runs = await h.virtual(() =>
      h.sfn.send(new ListMapRunsCommand({ executionArn: first.executionArn })),
    );
    expect(runs.mapRuns).toHaveLength(1);
    const mapRun = await h.virtual(() =>
      h.sfn.send(new DescribeMapRunCommand({ mapRunArn: runs.mapRuns?.[0]?.mapRunArn })),
    );
    expect(mapRun.maxConcurrency).toBe(4);
    expect(mapRun.itemCounts).toMatchObject({ total: 6, succeeded: 6, failed: 0 });

    const history = await h.virtual(() =>
      h.sfn.send(new GetExecutionHistoryCommand({ executionArn: first.executionArn, maxResults: 1000 })),
    );
    const types = history.events?.map((e) => e.type) ?? [];
    expect(types).toContain('MapRunStarted');
    expect(types).toContain('MapRunSucceeded');
    expect(types.at(-1)).toBe('ExecutionSucceeded');

    const messages = readSnsMessages(h.sandbox.world, h.admin?.topicArn);
    expect(messages.at(-1)?.subject).toBe(summary.subject);
  });

  it('touches no stack on a re-run: every target is NO_CHANGE', async () => {
    const again = await h.runRollout(rolloutInput(h));
    expect(again.status).toBe('SUCCEEDED');
    expect((again.output as Summary).counts).toMatchObject({
      NO_CHANGE: 6,
      CREATED: 0,
      UPDATED: 0,
      FAILED: 0,
    });
    expect(again.metrics.parentHistoryEvents).toBe(first.metrics.parentHistoryEvents);
  });

  it('gives the same results and simulated timings for the same scenario and input', async () => {
    const other = await openSandboxHarness();
    const replay = await other.runRollout(rolloutInput(other));
    expect(replay.output).toEqual(first.output);
    expect(replay.metrics.simulatedSeconds).toBe(first.metrics.simulatedSeconds);
    expect(replay.metrics.transitions).toBe(first.metrics.transitions);
    expect(replay.metrics.cloudFormationCalls).toBe(first.metrics.cloudFormationCalls);
  });
});
