/**
 * The sandbox CloudFormation sends a "CloudFormation Stack Status Change" event at each status
 * change of a stack (CloudFormation User Guide, event-detail-stack-status-change: detail
 * `stack-id`, `status-details.status` / `status-reason`, and the operation's
 * `client-request-token`), on the default bus of its account and region (the EventBridge
 * emulator; delivery through rules: test/integration/stack-events-rollout.test.ts); scenarios lose, delay, duplicate and reorder them. Each event's status, reason and time
 * is the one DescribeStackEvents shows for the stack, so the two can never disagree.
 */
import { deleteStackOutOfBand } from '../../src/sandbox/cfn/faults';
import {
  onStackStatusChange,
  type QueuedStackEvent,
  stackEventCounts,
} from '../../src/sandbox/cfn/stack-events';
import { emitDueStackStatusChanges } from '../../src/sandbox/cfn/stack-events-schedule';
import { cfnCaller, createTestWorld, testScenario } from '../../src/sandbox/cfn/testing';
import { validateScenario } from '../../src/sandbox/scenario';
import type { StackEventFaultRule } from '../../src/sandbox/scenario-types';

const MEMBER = '222222222222';
const REGION = 'eu-west-1';
const TEMPLATE = `Resources:
  Topic:
    Type: AWS::SNS::Topic
  Queue:
    Type: AWS::SNS::Topic
    DependsOn: Topic
`;

type Event = {
  LogicalResourceId: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  Timestamp: string;
  ClientRequestToken?: string;
};

function setup(stackEvents?: StackEventFaultRule[]) {
  // About the events' shape and timing, on templates AWS accepts without policies: IAM stays off.
  const world = createTestWorld(
    testScenario({ faults: stackEvents ? { stackEvents } : {}, iam: { enforce: false } }),
  );
  const call = cfnCaller(world);
  const seen: QueuedStackEvent[] = [];
  onStackStatusChange(world, (entry) => seen.push(entry));
  /** What the request path does before each call: send the changes that are due. */
  const later = (ms: number) => {
    world.advance(ms);
    emitDueStackStatusChanges(world, world.now());
  };
  const stackEvents_ = async () =>
    (
      await call<{ StackEvents: Event[] }>('DescribeStackEvents', { StackName: 'baseline' })
    ).StackEvents.filter((e) => e.LogicalResourceId === 'baseline').reverse();
  return { world, call, seen, later, stackLevelEvents: stackEvents_ };
}

const statuses = (entries: readonly QueuedStackEvent[]) =>
  entries.map((e) => e.event.detail['status-details'].status);

describe('Stack Status Change events', () => {
  it('sends one event per status change, in the shape EventBridge delivers, at the moment DescribeStackEvents shows', async () => {
    const { call, seen, later, stackLevelEvents } = setup();
    const { StackId } = await call<{ StackId: string }>('CreateStack', {
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
      ClientRequestToken: 'stackfleet-create-r1-abc',
    });
    // The operation's first change is sent as it starts; its end only once the clock gets there.
    expect(statuses(seen)).toEqual(['CREATE_IN_PROGRESS']);
    later(3_600_000);
    expect(statuses(seen)).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const described = await stackLevelEvents();
    expect(seen.map((e) => [e.event.detail['status-details'].status, e.event.time])).toEqual(
      described.map((e) => [e.ResourceStatus, e.Timestamp.replace(/\.\d{3}Z$/, 'Z')]),
    );
    expect(seen[1]?.event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'CloudFormation Stack Status Change',
      source: 'aws.cloudformation',
      account: MEMBER,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: REGION,
      resources: [StackId],
      detail: {
        'stack-id': StackId,
        'status-details': { status: 'CREATE_COMPLETE', 'status-reason': '' },
        'client-request-token': 'stackfleet-create-r1-abc',
      },
    });
    // Delivered when it happened: no fault delays it.
    expect(seen[1]?.deliverAt).toBe(Date.parse(described[1]?.Timestamp as string));
  });

  it('reports a failed create as CloudFormation does: CREATE_IN_PROGRESS, ROLLBACK_IN_PROGRESS with the reason, ROLLBACK_COMPLETE', async () => {
    const world = createTestWorld(
      testScenario({
        faults: { resourceFailures: [{ logicalId: 'Queue', reason: 'Topic limit exceeded' }] },
        iam: { enforce: false },
      }),
    );
    const call = cfnCaller(world);
    const seen: QueuedStackEvent[] = [];
    onStackStatusChange(world, (e) => seen.push(e));
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE, ClientRequestToken: 'tok-1' });
    world.advance(3_600_000);
    emitDueStackStatusChanges(world, world.now());
    const described = (
      await call<{ StackEvents: Event[] }>('DescribeStackEvents', { StackName: 'baseline' })
    ).StackEvents.filter((e) => e.LogicalResourceId === 'baseline').reverse();
    expect(statuses(seen)).toEqual(described.map((e) => e.ResourceStatus));
    expect(statuses(seen)).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    expect(seen[1]?.event.detail['status-details']['status-reason']).toBe(described[1]?.ResourceStatusReason);
    expect(seen.every((e) => e.event.detail['client-request-token'] === 'tok-1')).toBe(true);
  });

  it('never sends the end of an operation that a deletion by hand overtook', async () => {
    const { world, call, seen, later } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE, ClientRequestToken: 'tok-2' });
    later(2_000);
    deleteStackOutOfBand(world, MEMBER, REGION, 'baseline');
    later(3_600_000);
    expect(statuses(seen)).toEqual(['CREATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(seen[2]?.event.detail['client-request-token']).toBe('');
  });

  it('loses, delays, duplicates and reorders events as the scenario says, per account and region', async () => {
    const lossy = setup([{ regions: [REGION], lose: 1 }]);
    await lossy.call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    lossy.later(3_600_000);
    expect(lossy.seen).toEqual([]);
    expect(stackEventCounts(lossy.world)).toMatchObject({ emitted: 2, lost: 2 });
    // Another region of the same scenario is not named by the rule.
    await lossy.call(
      'CreateStack',
      { StackName: 'baseline', TemplateBody: TEMPLATE },
      { region: 'us-east-1' },
    );
    expect(statuses(lossy.seen)).toEqual(['CREATE_IN_PROGRESS']);

    const late = setup([{ delaySeconds: 30, duplicate: 1 }]);
    await late.call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    const startedAt = late.world.now();
    expect(late.seen.map((e) => [e.copy, e.deliverAt - startedAt])).toEqual([
      [0, 30_000],
      [1, 31_000],
    ]);
    expect(late.seen[0]?.event.id).toBe(late.seen[1]?.event.id);

    const swapped = setup([{ reorder: 1 }]);
    await swapped.call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    swapped.later(3_600_000);
    const delivered = [...swapped.seen].sort((a, b) => a.deliverAt - b.deliverAt);
    expect(statuses(delivered)).toEqual(['CREATE_COMPLETE', 'CREATE_IN_PROGRESS']);
  });

  it('is a scenario field refused with the path and the value when it is wrong', () => {
    const base = {
      organization: { managementAccountId: '111111111111', accounts: [{ id: '111111111111', name: 'm' }] },
      regions: [REGION],
    };
    expect(() => validateScenario({ ...base, faults: { stackEvents: [{ lose: 2 }] } })).toThrow(
      /faults\.stackEvents\[0\]\.lose.*2/,
    );
    expect(() =>
      validateScenario({ ...base, faults: { stackEvents: [{ regions: ['xx-nowhere-1'] }] } }),
    ).toThrow(/faults\.stackEvents\[0\]\.regions\[0\].*xx-nowhere-1/);
    expect(
      validateScenario({ ...base, faults: { stackEvents: [{ delaySeconds: [1, 5], reorder: 0.1 }] } }).faults,
    ).toEqual({ stackEvents: [{ delaySeconds: [1, 5], reorder: 0.1 }] });
  });
});
