import { StackStatus } from '@aws-sdk/client-cloudformation';
import {
  classifyStackStatus,
  firstFailedResource,
  operationEvents,
  planStackAction,
  readStackStatusFromEvents,
  resourceProgress,
  StackStatuses,
} from '../../src/core/stack-status';

// Status -> [phase Check stack reports, action Deploy stack takes]
const table: Array<[string, string, string]> = [
  ['CREATE_IN_PROGRESS', 'in-progress', 'wait'],
  ['CREATE_FAILED', 'failed', 'refuse'],
  ['CREATE_COMPLETE', 'succeeded', 'update'],
  ['ROLLBACK_IN_PROGRESS', 'in-progress', 'wait'],
  ['ROLLBACK_FAILED', 'failed', 'refuse'],
  ['ROLLBACK_COMPLETE', 'failed', 'recreate'],
  ['DELETE_IN_PROGRESS', 'in-progress', 'wait'],
  ['DELETE_FAILED', 'failed', 'refuse'],
  ['DELETE_COMPLETE', 'failed', 'create'],
  ['UPDATE_IN_PROGRESS', 'in-progress', 'wait'],
  ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'succeeded', 'wait'],
  ['UPDATE_COMPLETE', 'succeeded', 'update'],
  ['UPDATE_FAILED', 'failed', 'update'],
  ['UPDATE_ROLLBACK_IN_PROGRESS', 'in-progress', 'wait'],
  ['UPDATE_ROLLBACK_FAILED', 'failed', 'continue-rollback'],
  ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'in-progress', 'wait'],
  ['UPDATE_ROLLBACK_COMPLETE', 'failed', 'update'],
  ['REVIEW_IN_PROGRESS', 'in-progress', 'recreate'],
  ['IMPORT_IN_PROGRESS', 'in-progress', 'wait'],
  ['IMPORT_COMPLETE', 'succeeded', 'update'],
  ['IMPORT_ROLLBACK_IN_PROGRESS', 'in-progress', 'wait'],
  ['IMPORT_ROLLBACK_FAILED', 'failed', 'refuse'],
  ['IMPORT_ROLLBACK_COMPLETE', 'failed', 'update'],
];

describe('stack status tables', () => {
  it('cover exactly the 23 statuses the CloudFormation SDK knows', () => {
    expect(new Set(StackStatuses)).toEqual(new Set(Object.values(StackStatus)));
    expect(table.map(([s]) => s).sort()).toEqual([...StackStatuses].sort());
    expect(table).toHaveLength(23);
  });

  it.each(table)('%s: Check stack says %s, Deploy stack does %s', (status, phase, action) => {
    expect(classifyStackStatus(status)).toBe(phase);
    expect(planStackAction(status)).toBe(action);
  });

  it('creates when there is no stack and waits on a status it does not know', () => {
    expect(planStackAction(undefined)).toBe('create');
    expect(classifyStackStatus('SOMETHING_NEW_IN_PROGRESS')).toBe('in-progress');
    expect(planStackAction('SOMETHING_NEW')).toBe('wait');
  });
});

const t = (s: number) => new Date(Date.UTC(2026, 10, 27, 12, 0, s));
const stack = (status: string, s: number, extra: object = {}) => ({
  LogicalResourceId: 'baseline',
  ResourceType: 'AWS::CloudFormation::Stack',
  ResourceStatus: status,
  Timestamp: t(s),
  ...extra,
});
const res = (id: string, type: string, status: string, s: number, reason?: string, extra: object = {}) => ({
  LogicalResourceId: id,
  ResourceType: type,
  ResourceStatus: status,
  Timestamp: t(s),
  ...(reason ? { ResourceStatusReason: reason } : {}),
  ...extra,
});

describe('reading a stack from its events', () => {
  // Newest first, as DescribeStackEvents answers. A previous operation precedes ours.
  const failedCreate = [
    stack('ROLLBACK_COMPLETE', 50),
    res('Topic', 'AWS::SNS::Topic', 'DELETE_COMPLETE', 45),
    stack('ROLLBACK_IN_PROGRESS', 40, {
      ResourceStatusReason: 'The following resource(s) failed to create: [Hub].',
    }),
    res('Topic', 'AWS::SNS::Topic', 'CREATE_FAILED', 39, 'Resource creation cancelled'),
    res('Hub', 'AWS::SecurityHub::Hub', 'CREATE_FAILED', 38, 'Account is not subscribed to AWS Security Hub'),
    res('Trail', 'AWS::CloudTrail::Trail', 'CREATE_FAILED', 38.5, 'later failure'),
    res('Topic', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 10),
    res('Hub', 'AWS::SecurityHub::Hub', 'CREATE_IN_PROGRESS', 10),
    stack('CREATE_IN_PROGRESS', 5, { ResourceStatusReason: 'User Initiated' }),
    res('Old', 'AWS::S3::Bucket', 'CREATE_FAILED', 1, 'from an older operation'),
    stack('CREATE_IN_PROGRESS', 0),
  ];

  it('takes the status of the newest stack event', () => {
    expect(readStackStatusFromEvents(failedCreate, 'baseline')).toEqual({ status: 'ROLLBACK_COMPLETE' });
  });

  it('says nothing when the page has no stack event, so the caller asks DescribeStacks', () => {
    expect(
      readStackStatusFromEvents([res('Topic', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 1)], 'baseline'),
    ).toBeUndefined();
  });

  it('ignores a settled status of an older operation when events carry tokens and ours is not visible yet', () => {
    const older = [stack('UPDATE_COMPLETE', 5, { ClientRequestToken: 'previous' })];
    expect(readStackStatusFromEvents(older, 'baseline', 'ours')).toBeUndefined();
    const mine = [stack('UPDATE_IN_PROGRESS', 9, { ClientRequestToken: 'ours' }), ...older];
    expect(readStackStatusFromEvents(mine, 'baseline', 'ours')).toEqual({ status: 'UPDATE_IN_PROGRESS' });
  });

  it('finds the first failed resource of this operation, not a cancelled one, a later one, or an older operation', () => {
    const { events, startSeen } = operationEvents(failedCreate, 'baseline');
    expect(startSeen).toBe(true);
    expect(firstFailedResource(events, 'baseline')).toEqual({
      logicalId: 'Hub',
      type: 'AWS::SecurityHub::Hub',
      status: 'CREATE_FAILED',
      statusReason: 'Account is not subscribed to AWS Security Hub',
    });
  });

  it('uses client request tokens to pick the operation when events carry them', () => {
    const events = [
      res('A', 'AWS::SNS::Topic', 'UPDATE_FAILED', 20, 'ours failed', { ClientRequestToken: 'tok' }),
      stack('UPDATE_IN_PROGRESS', 10, { ClientRequestToken: 'tok' }),
      res('B', 'AWS::SNS::Topic', 'UPDATE_FAILED', 5, 'someone else', { ClientRequestToken: 'other' }),
    ];
    const picked = operationEvents(events, 'baseline', 'tok');
    expect(picked.events).toHaveLength(2);
    expect(firstFailedResource(picked.events, 'baseline')?.statusReason).toBe('ours failed');
  });

  it('measures done and running resources for the wait policy', () => {
    const events = [
      res('B', 'AWS::IAM::Role', 'CREATE_IN_PROGRESS', 20),
      res('A', 'AWS::SNS::Topic', 'CREATE_COMPLETE', 18),
      res('A', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 6, 'Resource creation Initiated'),
      res('A', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 5),
      stack('CREATE_IN_PROGRESS', 0),
    ];
    expect(resourceProgress(events, 'baseline', t(30))).toEqual({ doneSeconds: [13], runningSeconds: [10] });
  });
});
