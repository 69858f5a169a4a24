/**
 * Stack events (issue 19): the baseline forwards its stacks' "CloudFormation Stack Status Change"
 * events (CloudFormation User Guide, event-detail-stack-status-change) to the admin bus
 * (EventBridge User Guide, eb-cross-account), the admin rule hands the final ones to Match stack
 * event, which completes the waiting "Wait for stack event" task (SendTaskSuccess). Polling is the
 * fallback: with every event lost (faults.stackEvents) the rollout ends the same, one look later.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { clientRequestToken } from '../../src/core/names';
import type { RolloutSummaryDocument } from '../../src/core/summary';
import { deleteStackOutOfBand } from '../../src/sandbox/cfn/faults';
import { onStackStatusChange, stackEventCounts } from '../../src/sandbox/cfn/stack-events';
import type { Scenario } from '../../src/sandbox/scenario-types';
import {
  type EventEnvelope,
  eventsDeliveries,
  putEventOnBus,
} from '../../src/sandbox/services/events/delivery';
import { openSandboxHarness, type RunResult, type SandboxHarness } from '../helpers/sandbox-harness';
import { ADMIN, MEMBER, REGION, tamperScenario } from '../helpers/tamper-world';

jest.setTimeout(300_000);

function request(h: SandboxHarness, rolloutId: string, stackEvents: boolean, alertEmail = '') {
  return {
    rolloutId,
    mode: 'deploy',
    stackName: 'stackfleet-baseline',
    executionRoleName: 'StackFleetExecution',
    template: h.template,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    parameters: { HomeRegion: REGION, AdminAccountId: ADMIN, AdminRegion: REGION, AlertEmail: alertEmail },
    targets: { organizationalUnits: ['ou-tp01-members0'], regions: [REGION] },
    stackEvents,
    // Every target runs to its own end, failed or not.
    failureTolerance: { percent: 100 },
  };
}

/** Every target's result, from the rollout's summary.json (written whether it succeeded or not). */
async function targets(h: SandboxHarness, run: RunResult): Promise<RolloutSummaryDocument['targets']> {
  const rolloutId = (JSON.parse(run.execution.input ?? '{}') as { rolloutId: string }).rolloutId;
  const bucket = h.admin?.artifactBucket ?? '';
  const got = await h.virtual(() =>
    h.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `rollouts/${rolloutId}/summary.json` })),
  );
  return (JSON.parse(await (got.Body?.transformToString() ?? '{}')) as RolloutSummaryDocument).targets;
}

async function open(extra: Partial<Scenario> = {}): Promise<SandboxHarness> {
  // Each resource takes 20 s, so a stack's operation spans several of today's polls.
  return openSandboxHarness({
    scenario: tamperScenario({ durations: { default: 20 }, ...extra }),
    region: REGION,
  });
}

describe('a rollout that waits for stack events', () => {
  test("notices an update's end from its forwarded event, with no DescribeStacks poll", async () => {
    const h = await open();
    const first = await h.runRollout(request(h, 'se-create', true));
    expect(first.status).toBe('SUCCEEDED');
    // The create's own end: the forwarding rule is part of the stack, so it may or may not see it.
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(update.status).toBe('SUCCEEDED');
    const results = await targets(h, update);
    expect(results).toHaveLength(2);
    for (const t of results) {
      expect(t.outcome).toBe('UPDATED');
      expect(t.reason).toMatch(/noticed from its Stack Status Change event after 0 checks$/);
      expect(t.stackEventMissed).toBeUndefined();
      // Noticed when it happened: well before the polling policy's first look.
      expect(t.durationSeconds).toBeLessThan(30);
    }
    // Forwarded across accounts to the admin bus, then to the matching function.
    const forwarded = eventsDeliveries(h.sandbox.world).filter(
      (d) =>
        d.targetArn === `arn:aws:events:${REGION}:${ADMIN}:event-bus/default` && d.outcome === 'delivered',
    );
    expect(forwarded.length).toBeGreaterThan(0);
    const matched = eventsDeliveries(h.sandbox.world).filter((d) => d.targetArn.includes(':function:'));
    expect(matched.length).toBeGreaterThan(0);
    expect(matched.every((d) => d.outcome === 'delivered')).toBe(true);
  });

  test('with every event lost it falls back to polling and ends the same', async () => {
    const h = await open({ faults: { stackEvents: [{ lose: 1 }] } } as Partial<Scenario>);
    expect((await h.runRollout(request(h, 'se-create', true))).status).toBe('SUCCEEDED');
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(update.status).toBe('SUCCEEDED');
    for (const t of await targets(h, update)) {
      expect(t.outcome).toBe('UPDATED');
      expect(t.reason).toMatch(/updated \(UPDATE_COMPLETE\S*\) in \d+ s after [1-9]\d* checks?$/);
    }
  });

  test('a failed update is told from its event with the same first failed resource polling finds', async () => {
    const runFailing = async (stackEvents: boolean) => {
      const h = await open();
      expect((await h.runRollout(request(h, 'se-create', stackEvents))).status).toBe('SUCCEEDED');
      // The update adds the e-mail subscription; the sandbox fails it in every member.
      (h.sandbox.world.scenario.faults as Scenario['faults']).resourceFailures = [
        { logicalId: 'AlertsEmailSubscription', reason: 'Invalid parameter: Email address' },
      ];
      const run = await h.runRollout(request(h, 'se-update', stackEvents, 'ops@example.com'));
      const matched = eventsDeliveries(h.sandbox.world).filter(
        (d) => d.targetArn.includes(':function:') && d.outcome === 'delivered',
      );
      return { run, failures: (await targets(h, run)).filter((t) => t.outcome === 'FAILED'), matched };
    };
    const events = await runFailing(true);
    const polled = await runFailing(false);
    expect(events.failures).toHaveLength(2);
    expect(events.matched.length).toBeGreaterThan(0);
    for (const t of events.failures) {
      expect(t.reason).toBe(
        'AlertsEmailSubscription (AWS::SNS::Subscription) CREATE_FAILED: Invalid parameter: Email address',
      );
    }
    expect(events.failures.map((t) => [t.accountId, t.reason, t.error])).toEqual(
      polled.failures.map((t) => [t.accountId, t.reason, t.error]),
    );
    // Told when it happened, not at the next poll.
    const slowest = (rs: typeof events.failures) =>
      Math.max(...rs.map((t) => Date.parse(t.finishedAt ?? '') - Date.parse(t.startedAt ?? '')));
    expect(slowest(events.failures)).toBeLessThan(slowest(polled.failures));
  });

  test('duplicated and delayed events change nothing but speed', async () => {
    const h = await open({
      faults: { stackEvents: [{ duplicate: 1, delaySeconds: [0, 20] }] },
    } as Partial<Scenario>);
    expect((await h.runRollout(request(h, 'se-create', true))).status).toBe('SUCCEEDED');
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(update.status).toBe('SUCCEEDED');
    for (const t of await targets(h, update)) {
      expect(t.outcome).toBe('UPDATED');
      expect(t.reason).toMatch(/noticed from its Stack Status Change event after 0 checks$/);
    }
    const answered = eventsDeliveries(h.sandbox.world).filter((d) => d.targetArn.includes(':function:'));
    // Every copy reached the function and none made it fail (a second answer is a no-op).
    expect(answered.length).toBeGreaterThan(2);
    expect(answered.filter((d) => d.outcome === 'failed')).toEqual([]);
  });

  test('an event later than the wait changes nothing: the check polls, the late event is a no-op', async () => {
    // Longer than the update's event wait (EVENT_UPDATE_SECONDS, 120 s).
    const h = await open({ faults: { stackEvents: [{ delaySeconds: 200 }] } } as Partial<Scenario>);
    expect((await h.runRollout(request(h, 'se-create', true))).status).toBe('SUCCEEDED');
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(update.status).toBe('SUCCEEDED');
    expect(stackEventCounts(h.sandbox.world).delayed).toBeGreaterThan(0);
    for (const t of await targets(h, update)) {
      expect(t.reason).toMatch(/updated \(UPDATE_COMPLETE\S*\) in \d+ s after 1 check$/);
    }
    const answered = eventsDeliveries(h.sandbox.world).filter((d) => d.targetArn.includes(':function:'));
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.filter((d) => d.outcome === 'failed')).toEqual([]);
  });

  test('out-of-order events: whichever end arrives first completes the wait', async () => {
    const h = await open({ faults: { stackEvents: [{ reorder: 1 }] } } as Partial<Scenario>);
    expect((await h.runRollout(request(h, 'se-create', true))).status).toBe('SUCCEEDED');
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(update.status).toBe('SUCCEEDED');
    expect(stackEventCounts(h.sandbox.world).reordered).toBeGreaterThan(0);
    for (const t of await targets(h, update)) {
      expect(t.outcome).toBe('UPDATED');
      expect(t.reason).toMatch(/noticed from its Stack Status Change event after 0 checks$/);
    }
  });

  test('a stack deleted by hand while its update is awaited: the wait times out and the check says so', async () => {
    const h = await open();
    expect((await h.runRollout(request(h, 'se-create', true))).status).toBe('SUCCEEDED');
    // The deletion's DELETE_COMPLETE has no stackfleet token: the admin rule does not pass it on.
    let deleted = false;
    onStackStatusChange(h.sandbox.world, (entry) => {
      const e = entry.event;
      if (deleted || e.account !== MEMBER || e.detail['status-details'].status !== 'UPDATE_IN_PROGRESS')
        return;
      deleted = true;
      queueMicrotask(() => deleteStackOutOfBand(h.sandbox.world, MEMBER, REGION, 'stackfleet-baseline'));
    });
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(deleted).toBe(true);
    const results = await targets(h, update);
    const member = results.find((t) => t.accountId === MEMBER);
    expect(member?.outcome).toBe('FAILED');
    expect(member?.reason).toMatch(/stackfleet-baseline/);
    expect(member?.reason).not.toMatch(/noticed from its Stack Status Change event/);
    expect(results.find((t) => t.accountId !== MEMBER)?.outcome).toBe('UPDATED');
  });

  test('no forwarder in the region: polling notices every end and the summary says so once', async () => {
    const h = await open();
    // The baseline without AdminAccountId has no forwarding rule (and no forwarder role).
    const local = (rolloutId: string, alertEmail: string) => {
      const r = request(h, rolloutId, true, alertEmail);
      return { ...r, parameters: { HomeRegion: REGION, AlertEmail: alertEmail } };
    };
    expect((await h.runRollout(local('se-create', ''))).status).toBe('SUCCEEDED');
    const update = await h.runRollout(local('se-update', 'ops@example.com'));
    expect(update.status).toBe('SUCCEEDED');
    for (const t of await targets(h, update)) {
      expect(t.outcome).toBe('UPDATED');
      expect(t.stackEventMissed).toBe(true);
    }
    const text = (update.output as { text: string }).text;
    const lines = text.split('\n').filter((l) => l.startsWith('Stack events:'));
    expect(lines).toEqual([
      `Stack events: no Stack Status Change event reached the admin bus for 2 targets (regions: ${REGION}); polling noticed their ends. Is the baseline deployed there with AdminAccountId (its forwarding rule)?`,
    ]);
  });

  test('an event that crosses the registration (instant stacks, instant delivery) is not lost', async () => {
    // Every resource takes no time and EventBridge delivers at once: the update's end can reach
    // Match stack event before "Wait for stack event" has filed its token, or just after.
    const h = await open({ durations: { default: 0 }, events: { deliveryDelayMs: 0 } } as Partial<Scenario>);
    expect((await h.runRollout(request(h, 'se-create', true))).status).toBe('SUCCEEDED');
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(update.status).toBe('SUCCEEDED');
    for (const t of await targets(h, update)) {
      expect(t.reason).toMatch(/noticed from its Stack Status Change event after 0 checks$/);
      // A lost crossing would wait out the update's event wait (120 s) and poll.
      expect(t.durationSeconds).toBeLessThan(60);
    }
  });

  test("an older operation's event arriving while the update is awaited changes nothing", async () => {
    const h = await open();
    expect((await h.runRollout(request(h, 'se-create', true))).status).toBe('SUCCEEDED');
    // As the update starts, the create's end shows up again on the admin bus (a late redelivery).
    let injected = false;
    onStackStatusChange(h.sandbox.world, (entry) => {
      const e = entry.event;
      if (injected || e.account !== MEMBER || e.detail['status-details'].status !== 'UPDATE_IN_PROGRESS')
        return;
      injected = true;
      const old: EventEnvelope = {
        ...(e as unknown as EventEnvelope),
        id: 'old-operation-redelivered',
        detail: {
          ...e.detail,
          'status-details': { status: 'CREATE_COMPLETE', 'status-reason': '' },
          'client-request-token': clientRequestToken('create', 'se-create', MEMBER, REGION),
        },
      };
      queueMicrotask(() =>
        putEventOnBus(h.sandbox.world, `arn:aws:events:${REGION}:${ADMIN}:event-bus/default`, old),
      );
    });
    const update = await h.runRollout(request(h, 'se-update', true, 'ops@example.com'));
    expect(injected).toBe(true);
    const member = (await targets(h, update)).find((t) => t.accountId === MEMBER);
    expect(member?.outcome).toBe('UPDATED');
    expect(member?.reason).toMatch(
      /updated \(UPDATE_COMPLETE\S*\) in \d+ s noticed from its Stack Status Change event after 0 checks$/,
    );
    const old = eventsDeliveries(h.sandbox.world).filter((d) => d.eventId === 'old-operation-redelivered');
    expect(old.map((d) => d.outcome)).toEqual(['delivered']);
  });
});
