import { missedEventsLine, type TargetResult } from '../../src/core/summary';

const target = (region: string, missed: boolean): TargetResult => ({
  accountId: '123456789012',
  region,
  outcome: 'UPDATED',
  phase: 'main',
  ...(missed ? { stackEventMissed: true } : {}),
});

describe('missedEventsLine: the summary says once where awaited stack events did not come', () => {
  it.each([
    ['no target missed an event', [target('eu-west-1', false)], undefined],
    [
      'one target',
      [target('eu-west-1', true), target('us-east-1', false)],
      'Stack events: no Stack Status Change event reached the admin bus for 1 target (regions: eu-west-1); polling noticed its end. Is the baseline deployed there with AdminAccountId (its forwarding rule)?',
    ],
    [
      'several targets, regions listed once and sorted',
      [target('us-east-1', true), target('eu-west-1', true), target('us-east-1', true)],
      'Stack events: no Stack Status Change event reached the admin bus for 3 targets (regions: eu-west-1, us-east-1); polling noticed their ends. Is the baseline deployed there with AdminAccountId (its forwarding rule)?',
    ],
  ])('%s', (_name, targets, line) => {
    expect(missedEventsLine(targets)).toBe(line);
  });
});
