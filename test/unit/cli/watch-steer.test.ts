import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { renderRolloutTable } from '../../../src/cli/commands/list';
import { renderSummary } from '../../../src/cli/render';
import { buildReport, reportJson } from '../../../src/cli/report';
import { rolloutFactsFromHistory } from '../../../src/cli/rollout-phase';
import {
  isStoppedByStackfleet,
  parseStopCause,
  ROLLOUT_STOPPED_ERROR,
  stopCause,
} from '../../../src/cli/stop-cause';
import { ScaledTimeline } from '../../../src/sandbox/clock';

/** History events as GetExecutionHistory returns them for statemachines/rollout.asl.json. */
function entered(id: number, name: string): HistoryEvent {
  return { id, type: 'TaskStateEntered', timestamp: new Date(id * 1000), stateEnteredEventDetails: { name } };
}
function planExited(id: number, plan: Record<string, unknown>): HistoryEvent {
  return {
    id,
    type: 'TaskStateExited',
    timestamp: new Date(id * 1000),
    stateExitedEventDetails: { name: 'Plan targets', output: JSON.stringify({ rollout: {}, plan }) },
  };
}

describe('the live line reads the phase from the rollout history (issue 18)', () => {
  it('says "canaries", not "summarizing", while the canary Map Run deploys', () => {
    const facts = rolloutFactsFromHistory([
      entered(1, 'Validate input'),
      entered(2, 'Plan targets'),
      planExited(3, { targetCount: 140, canaryCount: 5, skippedCount: 0 }),
      entered(4, 'Any canaries?'),
      entered(5, 'Deploy canaries'),
    ]);
    expect(facts.phase).toBe('canaries');
  });

  it('says "deploying" between the canaries and the targets, "summarizing" only in Summarize', () => {
    const base = [entered(1, 'Plan targets'), entered(2, 'Deploy canaries'), entered(3, 'Any targets?')];
    expect(rolloutFactsFromHistory(base).phase).toBe('deploying');
    expect(rolloutFactsFromHistory([...base, entered(4, 'Deploy targets')]).phase).toBe('deploying');
    expect(rolloutFactsFromHistory([...base, entered(5, 'Summarize')]).phase).toBe('summarizing');
  });

  it("names the stacks form's fan-outs as the one-template form's, and reads that its items are lanes", () => {
    expect(rolloutFactsFromHistory([entered(1, 'Deploy canary lanes')]).phase).toBe('canaries');
    const facts = rolloutFactsFromHistory([
      planExited(2, { targetCount: 149, canaryCount: 0, skippedCount: 25, graph: true }),
      entered(3, 'Deploy target lanes'),
    ]);
    expect(facts.phase).toBe('deploying');
    expect(facts.plan).toEqual({ targetCount: 149, canaryCount: 0, skippedCount: 25, graph: true });
  });

  it('reads the planned and skipped counts, so the total matches the summary (145, not 120)', () => {
    // Events may come newest first (reverseOrder): the order of ids decides.
    const facts = rolloutFactsFromHistory([
      entered(5, 'Deploy targets'),
      planExited(3, { targetCount: 115, canaryCount: 5, skippedCount: 25 }),
      entered(2, 'Plan targets'),
    ]);
    expect(facts.plan).toEqual({ targetCount: 115, canaryCount: 5, skippedCount: 25 });
    expect(facts.phase).toBe('deploying');
  });

  it('has no plan before "Plan targets" returned, or when its output is cut short', () => {
    expect(rolloutFactsFromHistory([entered(1, 'Plan targets')]).plan).toBeUndefined();
    const cut: HistoryEvent = {
      id: 2,
      type: 'TaskStateExited',
      timestamp: new Date(0),
      stateExitedEventDetails: { name: 'Plan targets', output: '{"plan": {"targetCou' },
    };
    expect(rolloutFactsFromHistory([cut]).plan).toBeUndefined();
  });
});

describe('stop: who stopped a rollout and why travel in the StopExecution cause', () => {
  it('round-trips the caller and the reason', () => {
    const cause = stopCause('arn:aws:iam::111122223333:user/alice', 'wrong template');
    expect(parseStopCause({ error: ROLLOUT_STOPPED_ERROR, cause })).toEqual({
      by: 'arn:aws:iam::111122223333:user/alice',
      reason: 'wrong template',
    });
    expect(parseStopCause({ error: ROLLOUT_STOPPED_ERROR, cause: stopCause('arn:x') })).toEqual({
      by: 'arn:x',
    });
  });

  it('does not take another abort (a parent stopped, a process ended) for a stackfleet stop', () => {
    expect(
      isStoppedByStackfleet({
        status: 'ABORTED',
        error: 'States.Aborted',
        cause: 'Stopped by StopExecution',
      }),
    ).toBe(false);
    expect(
      isStoppedByStackfleet({ status: 'ABORTED', error: ROLLOUT_STOPPED_ERROR, cause: stopCause('a') }),
    ).toBe(true);
  });

  it('keeps the cause within the API limit of 32,768 characters', () => {
    expect(stopCause('arn:x', 'y'.repeat(40_000)).length).toBe(32_768);
  });

  it('the summary says STOPPED, by whom and why, with the counts it was given', () => {
    const report = buildReport(
      {
        $metadata: {},
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:rollout:ro-1',
        stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:rollout',
        status: 'ABORTED',
        startDate: new Date('2026-12-02T00:00:00Z'),
        stopDate: new Date('2026-12-02T00:02:00Z'),
        error: ROLLOUT_STOPPED_ERROR,
        cause: stopCause('arn:aws:iam::111122223333:user/alice', 'wrong template'),
        name: 'ro-1',
      },
      undefined,
      { rolloutId: 'ro-1', mode: 'deploy', counts: { SUCCEEDED: 3, ABORTED: 2 } },
    );
    const text = renderSummary(report, { color: false });
    expect(text).toContain('Rollout ro-1 (deploy): STOPPED — 5 targets in 2m00s');
    expect(text).toContain('Stopped by arn:aws:iam::111122223333:user/alice: wrong template');
    expect(reportJson(report)).toMatchObject({
      status: 'STOPPED',
      stoppedBy: 'arn:aws:iam::111122223333:user/alice',
      stopReason: 'wrong template',
    });
  });
});

describe('list table', () => {
  it('shows one aligned row per rollout with mode, status, targets, start, duration and outcomes', () => {
    const lines = renderRolloutTable([
      {
        rolloutId: 'ro-20261202-010000-aaaa',
        mode: 'deploy',
        status: 'SUCCEEDED',
        counts: { CREATED: 140, SKIPPED: 5, FAILED: 0 },
        targets: 145,
        startedAt: '2026-12-02T01:00:00.000Z',
        durationSeconds: 754,
        executionArn: 'arn:1',
      },
      {
        rolloutId: 'ro-2',
        mode: 'drift',
        status: 'RUNNING',
        counts: {},
        targets: 0,
        executionArn: 'arn:2',
      },
    ]);
    expect(lines[0]).toMatch(/^ROLLOUT\s+MODE\s+STATUS\s+TARGETS\s+STARTED\s+DURATION\s+OUTCOMES$/);
    expect(lines[1]).toMatch(
      /^ro-20261202-010000-aaaa\s+deploy\s+SUCCEEDED\s+145\s+2026-12-02 01:00:00Z\s+12m34s\s+CREATED 140, SKIPPED 5$/,
    );
    expect(lines[2]).toMatch(/^ro-2\s+drift\s+RUNNING\s+0\s+-\s+-/);
    expect(lines[1]!.indexOf('deploy')).toBe(lines[2]!.indexOf('drift'));
  });
});

describe('a served clock at --speed K (ScaledTimeline)', () => {
  it('moves K times faster while idle and at real speed while calls are answered', () => {
    const t = new ScaledTimeline(60, 1_000_000, 0);
    expect(t.advance(1000, false)).toBe(1_000_000 + 60_000);
    // A function ran for 5 real seconds: 5 virtual seconds, not 5 minutes past its timeout.
    expect(t.advance(6000, true)).toBe(1_060_000 + 5000);
    expect(t.advance(7000, false)).toBe(1_065_000 + 60_000);
    expect(t.advance(6000, false)).toBe(1_125_000);
  });
});

describe("the AWS backend's clock follows the endpoint's Date header", () => {
  it('reads a served sandbox virtual time ten minutes ahead of this machine', async () => {
    const { SFNClient, ListStateMachinesCommand } = await import('@aws-sdk/client-sfn');
    const { trackServerClock } = await import('../../../src/cli/server-clock');
    const ahead = new Date(Date.now() + 10 * 60_000);
    ahead.setMilliseconds(0);
    const client = new SFNClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: {
        handle: async () => ({
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0', date: ahead.toUTCString() },
            body: Buffer.from('{"stateMachines":[]}'),
          },
        }),
      } as never,
    });
    const now = trackServerClock(client);
    expect(Math.abs(now() - Date.now())).toBeLessThan(5000);
    await client.send(new ListStateMachinesCommand({}));
    // Within the second the header carries, plus the time the test took.
    expect(now() - ahead.getTime()).toBeGreaterThanOrEqual(0);
    expect(now() - ahead.getTime()).toBeLessThan(5000);
  });
});
