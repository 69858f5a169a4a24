import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { readCause, readHistory, StateStatuses } from '../../../src/ui/execution-history';

let clock = 0;
let id = 0;
/** AWS-shaped history events, one second apart unless told. */
function ev(type: string, details: Record<string, unknown> = {}, seconds = 1): HistoryEvent {
  clock += seconds * 1000;
  id += 1;
  return { id, type, timestamp: new Date(1_700_000_000_000 + clock), ...details } as HistoryEvent;
}
const entered = (type: string, name: string, input = '{}') =>
  ev(`${type}StateEntered`, { stateEnteredEventDetails: { name, input } });
const exited = (type: string, name: string) =>
  ev(`${type}StateExited`, { stateExitedEventDetails: { name, output: '{}' } });
const lambdaFailed = (error: string, cause: string) =>
  ev('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error, cause } });

beforeEach(() => {
  clock = 0;
  id = 0;
});

describe('readHistory', () => {
  it('marks states that ran as succeeded and the running one as in progress', () => {
    const reading = readHistory([
      ev('ExecutionStarted'),
      entered('Task', 'Deploy stack'),
      ev('LambdaFunctionScheduled'),
      ev('LambdaFunctionSucceeded'),
      exited('Task', 'Deploy stack'),
      entered('Wait', 'Wait for stack'),
    ]);
    expect(reading.statuses).toEqual({
      'Deploy stack': StateStatuses.Succeeded,
      'Wait for stack': StateStatuses.InProgress,
    });
    expect(reading.failure).toBeUndefined();
  });

  it('counts retries and tells a caught error from a failure', () => {
    const cause = JSON.stringify({ errorType: 'Throttled', errorMessage: 'Rate exceeded' });
    const reading = readHistory([
      ev('ExecutionStarted'),
      entered('Task', 'Deploy stack'),
      ev('LambdaFunctionScheduled'),
      lambdaFailed('Throttled', cause),
      ev('LambdaFunctionScheduled', {}, 4),
      lambdaFailed('Throttled', cause),
      ev('LambdaFunctionScheduled', {}, 8),
      lambdaFailed(
        'StackFailed',
        JSON.stringify({
          errorType: 'StackFailed',
          errorMessage: 'Bucket (AWS::S3::Bucket) CREATE_FAILED: bucket already exists',
        }),
      ),
      entered('Pass', 'Describe failure'),
      exited('Pass', 'Describe failure'),
      entered('Fail', 'Target failed'),
      ev('ExecutionFailed', {
        executionFailedEventDetails: {
          error: 'StackFailed',
          cause: 'Bucket (AWS::S3::Bucket) CREATE_FAILED: bucket already exists',
        },
      }),
    ]);
    expect(reading.retries).toEqual({ 'Deploy stack': 2 });
    expect(reading.statuses['Deploy stack']).toBe(StateStatuses.Caught);
    expect(reading.statuses['Describe failure']).toBe(StateStatuses.Succeeded);
    expect(reading.statuses['Target failed']).toBe(StateStatuses.Failed);
    expect(reading.failure).toMatchObject({
      error: 'StackFailed',
      cause: 'Bucket (AWS::S3::Bucket) CREATE_FAILED: bucket already exists',
      resource: 'Bucket (AWS::S3::Bucket)',
    });
    expect(reading.timeline.filter((r) => r.kind === 'retry').map((r) => r.text)).toEqual([
      'Retry 1 of Deploy stack',
      'Retry 2 of Deploy stack',
    ]);
  });

  it('fails the running state when the execution fails without a Catch', () => {
    const reading = readHistory([
      ev('ExecutionStarted'),
      entered('Task', 'Check stack'),
      ev('LambdaFunctionScheduled'),
      lambdaFailed(
        'RoleNotAssumable',
        '{"errorType":"RoleNotAssumable","errorMessage":"Could not assume role"}',
      ),
      ev('ExecutionFailed', {
        executionFailedEventDetails: { error: 'RoleNotAssumable', cause: 'Could not assume role' },
      }),
    ]);
    expect(reading.statuses['Check stack']).toBe(StateStatuses.Failed);
    expect(reading.failure).toMatchObject({
      state: 'Check stack',
      error: 'RoleNotAssumable',
      cause: 'Could not assume role',
    });
  });

  it('reports how long each wait lasted', () => {
    const reading = readHistory([
      ev('ExecutionStarted'),
      entered('Wait', 'Wait for stack'),
      ev('WaitStateExited', { stateExitedEventDetails: { name: 'Wait for stack' } }, 90),
    ]);
    expect(reading.timeline.map((r) => r.text)).toContain('Waited 1 min 30 s in Wait for stack');
    expect(reading.timeline.at(-1)?.elapsed).toBe(91_000);
  });

  it('settles states left open by an aborted execution', () => {
    const reading = readHistory([ev('ExecutionStarted'), entered('Wait', 'Wait for stack')], 'ABORTED');
    expect(reading.statuses['Wait for stack']).toBe(StateStatuses.Failed);
  });
});

describe('readCause', () => {
  it.each([
    ['plain text', 'Stack is busy', { cause: 'Stack is busy' }],
    ['a Lambda envelope', '{"errorType":"X","errorMessage":"Role missing"}', { cause: 'Role missing' }],
    [
      'the deploy-target contract',
      JSON.stringify({
        reason: 'Hub failed',
        failedResource: { logicalId: 'Hub', type: 'AWS::SecurityHub::Hub' },
      }),
      { cause: 'Hub failed', resource: 'Hub (AWS::SecurityHub::Hub)' },
    ],
  ])('reads %s', (_label, input, expected) => {
    expect(readCause(input)).toEqual(expected);
  });
});
